//! Why the program stops, and the exit code each reason gives.

use std::io;
use std::process::ExitCode;

use elevenlabs_agent_tests::Error;

/// Every test passed (or the command succeeded).
pub const EXIT_OK: u8 = 0;
/// A test failed, was cancelled, or ended in a status the spec does not know.
pub const EXIT_TESTS_FAILED: u8 = 1;
/// Bad usage (clap uses 2 for its own usage errors too).
pub const EXIT_USAGE: u8 = 2;
/// The API, the network or the file system failed.
pub const EXIT_ERROR: u8 = 3;
/// A wait timed out.
pub const EXIT_TIMED_OUT: u8 = 4;

/// Why a command stops early.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// The API or the network failed: exit 3.
    Api(Error),
    /// Reading or writing a file, or starting the fake: exit 3.
    Io(String),
    /// Writing to stdout failed; a closed pipe (`| head`) is not an error.
    Output(io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            // Refused before anything was sent: the settings given were wrong.
            Error::Config { .. } | Error::InvalidParameter { .. } => Failure::Usage(e.to_string()),
            other => Failure::Api(other),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl Failure {
    /// Prints the message on stderr and gives the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                eprintln!("error: {message}\n\nFor more information, try '--help'.");
                ExitCode::from(EXIT_USAGE)
            }
            Failure::Api(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_ERROR)
            }
            Failure::Io(message) => {
                eprintln!("error: {message}");
                ExitCode::from(EXIT_ERROR)
            }
            Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
            Failure::Output(e) => {
                eprintln!("error: writing the output: {e}");
                ExitCode::from(EXIT_ERROR)
            }
        }
    }
}

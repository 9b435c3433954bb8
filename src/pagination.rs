//! Cursor pagination as lazy streams (see the pagination issue).

//! CSV import and export (see the README for the formats).

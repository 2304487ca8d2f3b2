//! Storage-wide tests: durability, recovery, visibility, concurrency.

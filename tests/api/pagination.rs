//! Pagination of registrants, sessions and events: cursors, bounds, filters, ordering, totalCount.

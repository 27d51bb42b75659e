//! The number of SQL statements a request runs does not grow with the rows it returns.

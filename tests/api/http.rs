//! Plain HTTP: GraphiQL, health, login, and the command line.

#pragma once

/// Exception types of the library. Option and input validation raise
/// `InvalidArgument`; failures while running (files, numerics) raise `Error`.
/// Example programs exit with code 2 on the first and 1 on the second.

#include <stdexcept>
#include <string>

namespace isdarts {

/// A run-time failure: an unreadable file, a malformed table, a numerical
/// problem during search.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An invalid option, genotype or argument given by the caller.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace isdarts

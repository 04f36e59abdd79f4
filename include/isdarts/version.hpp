#pragma once

/// Version of the isdarts library.

#include <string>

#include <torch/version.h>

#define ISDARTS_VERSION_MAJOR 0
#define ISDARTS_VERSION_MINOR 1
#define ISDARTS_VERSION_PATCH 0
#define ISDARTS_VERSION_STRING "0.1.0"

namespace isdarts {

/// Library version as "major.minor.patch".
inline std::string version() { return ISDARTS_VERSION_STRING; }

/// Version of the LibTorch that the including program was compiled against.
inline std::string torch_version() { return TORCH_VERSION; }

}  // namespace isdarts

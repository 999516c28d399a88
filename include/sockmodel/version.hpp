#pragma once

namespace sockmodel::version {
inline constexpr int major = 0, minor = 1, patch = 0;
}

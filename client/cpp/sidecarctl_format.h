// Numbers, sizes and durations as sidecarctl shows them to people.
#ifndef SIDECARD_CLIENT_CPP_SIDECARCTL_FORMAT_H_
#define SIDECARD_CLIENT_CPP_SIDECARCTL_FORMAT_H_

#include <cstdint>
#include <string>

#include "sidecar/v1/sidecar.pb.h"

namespace sidecard::ctl {

// 1234567 -> "1,234,567".
std::string Count(int64_t value);

// Bytes in binary units: "512 B", "12.3 KiB", "1.5 MiB", ...
std::string Bytes(double bytes);

// Seconds for people: "850 µs", "210 ms", "1.23 s", "2m 05s", "3h 12m",
// "4d 03h".
std::string Duration(double seconds);

// 1 -> "1 file", 1234 -> "1,234 files".
std::string Counted(int64_t value, const char* singular, const char* plural);

// 97.25 -> "97.3%".
std::string Percent(double percent);

// "bin", "rkyv", "json" (the enum value's JSON name).
std::string SidecarFormatName(sidecar::v1::SidecarFormat format);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_SIDECARCTL_FORMAT_H_

// Sidecar documents with known facts, compact as the Rust writer makes them,
// and the bytes of .bin files holding them: what the tests that drive a
// daemon write into their trees and expect back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sidecard::testing {

// Two faces, detector "insightface", 1.5 s, success.
inline constexpr std::string_view kFaceDoc =
    R"({"face_detection":{"insightface":{"faces":[{"face_id":0},{"face_id":1}],)"
    R"("metadata":{"detector":"insightface","faces_found":2,"processing_time":1.5},)"
    R"("success":true}},"sidecar_info":{"operation_type":"face_detection"}})";
// Two objects (person, sports ball), model "yolov8n.pt", 0.25 s, success.
inline constexpr std::string_view kYoloDoc =
    R"({"sidecar_info":{"operation_type":"yolov8"},"yolov8":{"yolov8":{"metadata":)"
    R"({"detection_time":0.25,"model_path":"yolov8n.pt","objects_found":2},"objects":)"
    R"([{"class_name":"person","confidence":0.9},{"class_name":"sports ball",)"
    R"("confidence":0.8}],"success":true}}})";
// Both of the above merged: 1 face, 1 object.
inline constexpr std::string_view kBothDoc =
    R"({"face_detection":{"insightface":{"faces":[{"face_id":0}],"metadata":)"
    R"({"detector":"insightface","processing_time":0.5},"success":true}},)"
    R"("sidecar_info":{"last_operation":"yolov8","operation_type":"face_detection"},)"
    R"("yolov8":{"yolov8":{"metadata":{"detection_time":0.75,"model_path":"yolov8n.pt"},)"
    R"("objects":[{"class_name":"person"}],"success":true}}})";
// A sidecar document without any operation result (valid, with a warning).
inline constexpr std::string_view kInfoOnlyDoc =
    R"({"sidecar_info":{"operation_type":"face_detection"}})";

// Bytes that do not decode as .bin (the length header is far too large) nor as JSON.
inline std::string RandomBytes() {
  static constexpr char kBytes[] =
      "\x13\x37\xC0\xDE\xFF\xFF\x7F\x00\x00\x9F\x92\x96\xFE\x01 garbage";
  return std::string(kBytes, sizeof(kBytes) - 1);
}

// The bytes of a .bin file holding `json` (what TempTree::WriteBin writes).
inline std::string BinBytes(std::string_view json) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(n & 0xFF);
    n >>= 8;
  }
  out.append(json);
  return out;
}

inline int64_t BinSize(std::string_view json) { return static_cast<int64_t>(json.size()) + 8; }

}  // namespace sidecard::testing

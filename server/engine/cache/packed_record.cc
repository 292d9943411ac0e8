#include "server/engine/cache/packed_record.h"

#include <cstring>

namespace sidecard::engine {
namespace {

// Unsigned LEB128.
void PutVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// Counts are never negative, but a zigzag keeps any int64 exact.
void PutSigned(int64_t value, std::string& out) {
  PutVarint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63), out);
}

// A string as (length << 1) followed by its bytes.
void PutInline(std::string_view text, std::string& out) {
  PutVarint(uint64_t{text.size()} << 1, out);
  out.append(text);
}

// A numbered name as (number << 1) | 1, any other string inline.
void PutString(std::string_view text, NameTable& names, std::string& out) {
  if (std::optional<uint32_t> number = names.Find(text)) {
    PutVarint((uint64_t{*number} << 1) | 1, out);
    return;
  }
  PutInline(text, out);
}

template <typename Strings>
void PutStrings(const Strings& strings, NameTable& names, std::string& out) {
  PutVarint(strings.size(), out);
  for (const auto& text : strings) PutString(text, names, out);
}

// Reads what the Put functions wrote; the input is always our own packing.
class Reader {
 public:
  Reader(std::string_view packed, const NameTable& names) : in_(packed), names_(names) {}

  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      const auto byte = static_cast<unsigned char>(in_[position_++]);
      value |= uint64_t{byte & 0x7Fu} << shift;
      if (byte < 0x80) return value;
    }
  }
  int64_t Signed() {
    const uint64_t value = Varint();
    return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
  }
  unsigned char Byte() { return static_cast<unsigned char>(in_[position_++]); }
  double Double() {
    double value;
    std::memcpy(&value, in_.data() + position_, sizeof value);
    position_ += sizeof value;
    return value;
  }
  std::string String() {
    const uint64_t tag = Varint();
    if (tag & 1) return names_.Name(static_cast<uint32_t>(tag >> 1));
    const size_t length = tag >> 1;
    std::string text(in_.substr(position_, length));
    position_ += length;
    return text;
  }
  std::vector<std::string> Strings() {
    std::vector<std::string> strings(Varint());
    for (std::string& text : strings) text = String();
    return strings;
  }

 private:
  std::string_view in_;
  size_t position_ = 0;
  const NameTable& names_;
};

// The first byte: decoded, has_sidecar_info, layout (2 bits), format (2 bits).
unsigned char Header(const SidecarInspection& inspection) {
  return static_cast<unsigned char>((inspection.decoded ? 1 : 0) |
                                    (inspection.facts.has_sidecar_info ? 2 : 0) |
                                    (static_cast<unsigned>(inspection.facts.layout) << 2) |
                                    (static_cast<unsigned>(inspection.format) << 4));
}

}  // namespace

std::optional<uint32_t> NameTable::Find(std::string_view name) {
  if (name.size() > kMaxNameLength) return std::nullopt;
  absl::MutexLock lock(&mutex_);
  if (auto it = numbers_.find(name); it != numbers_.end()) return it->second;
  if (count_ == kMaxNames) return std::nullopt;
  const size_t number = count_++;
  std::unique_ptr<std::string[]>& chunk = chunks_[number / kChunk];
  size_t added = 0;
  if (chunk == nullptr) {
    chunk.reset(new std::string[kChunk]);
    added += kChunk * sizeof(std::string);
  }
  std::string& stored = chunk[number % kChunk];
  stored = std::string(name);
  const size_t table_before = numbers_.capacity();
  numbers_.emplace(stored, static_cast<uint32_t>(number));
  constexpr size_t kSlot = sizeof(std::string_view) + sizeof(uint32_t) + 1;
  added += (numbers_.capacity() - table_before) * kSlot + (name.size() > 15 ? name.size() + 1 : 0);
  bytes_.fetch_add(added, std::memory_order_relaxed);
  return static_cast<uint32_t>(number);
}

std::string PackInspection(const SidecarInspection& inspection, NameTable& names) {
  const DocumentFacts& facts = inspection.facts;
  std::string out;
  out += static_cast<char>(Header(inspection));
  if (!inspection.decoded) {
    // Errors name byte offsets and rarely repeat: not worth a number.
    PutInline(inspection.error, out);
    return out;
  }
  PutStrings(inspection.decode_warnings, names, out);
  PutStrings(facts.operations, names, out);
  PutStrings(facts.problems, names, out);
  PutStrings(facts.warnings, names, out);
  PutStrings(facts.tool_names, names, out);
  PutVarint(facts.payloads.size(), out);
  for (const PayloadFacts& payload : facts.payloads) {
    PutString(payload.operation, names, out);
    PutString(payload.backend, names, out);
    // 0 no success, 1 false, 2 true; 4: a processing time follows.
    const int success = payload.success ? (*payload.success ? 2 : 1) : 0;
    out += static_cast<char>(success | (payload.processing_time_seconds ? 4 : 0));
    if (payload.processing_time_seconds) {
      char bytes[sizeof(double)];
      std::memcpy(bytes, &*payload.processing_time_seconds, sizeof bytes);
      out.append(bytes, sizeof bytes);
    }
    PutSigned(payload.faces, out);
    PutSigned(payload.objects, out);
    PutSigned(payload.other_detections, out);
    PutVarint(payload.object_classes.size(), out);
    for (const auto& [name, count] : payload.object_classes) {
      PutString(name, names, out);
      PutSigned(count, out);
    }
  }
  out.shrink_to_fit();
  return out;
}

SidecarInspection UnpackInspection(std::string_view packed, const FileStamp& stamp,
                                   const NameTable& names) {
  Reader in(packed, names);
  SidecarInspection inspection;
  inspection.stamp = stamp;
  const unsigned char header = in.Byte();
  inspection.decoded = (header & 1) != 0;
  inspection.facts.has_sidecar_info = (header & 2) != 0;
  inspection.facts.layout = static_cast<DocumentLayout>((header >> 2) & 3);
  inspection.format = static_cast<SidecarFormat>((header >> 4) & 3);
  if (!inspection.decoded) {
    inspection.error = in.String();
    return inspection;
  }
  DocumentFacts& facts = inspection.facts;
  inspection.decode_warnings = in.Strings();
  facts.operations = in.Strings();
  facts.problems = in.Strings();
  facts.warnings = in.Strings();
  facts.tool_names = in.Strings();
  facts.payloads.resize(in.Varint());
  for (PayloadFacts& payload : facts.payloads) {
    payload.operation = in.String();
    payload.backend = in.String();
    const unsigned char flags = in.Byte();
    if (flags & 3) payload.success = (flags & 3) == 2;
    if (flags & 4) payload.processing_time_seconds = in.Double();
    payload.faces = in.Signed();
    payload.objects = in.Signed();
    payload.other_detections = in.Signed();
    payload.object_classes.resize(in.Varint());
    for (auto& [name, count] : payload.object_classes) {
      name = in.String();
      count = in.Signed();
    }
  }
  return inspection;
}

}  // namespace sidecard::engine

// Checks the long runs of numbers that make up most of a sidecar (face
// encodings: hundreds of floats per face) 64 bytes at a time, for the quick
// analysis parse (facts_scan.h), which only needs to know they are valid.
//
// A byte-at-a-time reader spends most of its time on the branches of each
// number's shape (a sign or not, 17 or 19 digits). Here every 64-byte block
// is classified into bit masks (digits, dots, signs, exponent marks,
// whitespace, commas) and JSON's number and separator grammar is checked
// with whole-mask arithmetic; nothing but a few carry bits passes from one
// block to the next, so blocks do not wait on each other.
#ifndef SIDECARD_SERVER_ENGINE_FORMATS_NUMBER_ARRAY_SCAN_H_
#define SIDECARD_SERVER_ENGINE_FORMATS_NUMBER_ARRAY_SCAN_H_

namespace sidecard::engine {

// `p` is at the first byte of an array element. Returns q, p <= q <= end,
// such that [p, q) is a sequence of `number ws* , ws*` (JSON numbers of at
// most 127 bytes whose exponent has at most 2 digits) and q is
// the first byte of the next element. Returns p itself when it cannot vouch
// for even one element: the caller then reads on byte by byte, as it does
// from q; it alone finds (and words) errors.
const char* SkipCheckedNumberElements(const char* p, const char* end);

// The vector instruction sets the check is written for; it uses the widest
// the processor has.
enum class VectorIsa { kSse2, kAvx2, kAvx512 };

// For tests, which check each of them: SkipCheckedNumberElements with `isa`,
// or null when this processor (or build) lacks it.
const char* SkipCheckedNumberElementsWith(VectorIsa isa, const char* p, const char* end);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FORMATS_NUMBER_ARRAY_SCAN_H_

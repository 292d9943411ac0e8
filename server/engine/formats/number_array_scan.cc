#include "server/engine/formats/number_array_scan.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace sidecard::engine {

#if defined(__SSE2__)
namespace {

constexpr ptrdiff_t kBlock = 64;

// Bit i of each mask is byte i of a block.
struct ByteClasses {
  uint64_t digit = 0;
  uint64_t space = 0;  // JSON whitespace
  uint64_t comma = 0;
  uint64_t dot = 0;
  uint64_t minus = 0;
  uint64_t plus = 0;
  uint64_t exponent = 0;  // e or E
  uint64_t zero = 0;      // the digit 0
};

// The classes of a block, `sizeof(Lanes)` bytes at a time, written once with
// GCC's vector extensions: each instruction set below supplies its vector of
// unsigned bytes and how a comparison's lanes become bits.
template <typename Isa>
ByteClasses ClassifyLanes(const char* block) {
  using Lanes = typename Isa::Lanes;
  constexpr int kWidth = static_cast<int>(sizeof(Lanes));
  ByteClasses classes;
  for (int part = 0; part < 64 / kWidth; ++part) {
    Lanes bytes;
    std::memcpy(&bytes, block + kWidth * part, sizeof bytes);
    const int shift = kWidth * part;
    const auto bits = [shift](const auto& lanes) { return Isa::Bits(lanes) << shift; };
    // Unsigned lanes: bytes below '0' wrap round to large values.
    classes.digit |= bits(bytes - '0' <= 9);
    classes.space |= bits((bytes == ' ') | (bytes == '\n') | (bytes == '\r') | (bytes == '\t'));
    classes.comma |= bits(bytes == ',');
    classes.dot |= bits(bytes == '.');
    classes.minus |= bits(bytes == '-');
    classes.plus |= bits(bytes == '+');
    // 'E' | 0x20 == 'e', and no byte but 'e' itself becomes 'e'.
    classes.exponent |= bits((bytes | 0x20) == 'e');
    classes.zero |= bits(bytes == '0');
  }
  return classes;
}

// Every x86-64 processor has SSE2: 16 bytes at a time.
struct Sse2 {
  using Lanes = unsigned char __attribute__((vector_size(16)));
  template <typename Mask>
  static uint64_t Bits(const Mask& mask) {
    return static_cast<uint32_t>(_mm_movemask_epi8(reinterpret_cast<__m128i>(mask)));
  }
  static ByteClasses Classify(const char* block) { return ClassifyLanes<Sse2>(block); }
};

// Most processors of the last decade: 32 bytes at a time, half the work.
struct Avx2 {
  using Lanes = unsigned char __attribute__((vector_size(32)));
  template <typename Mask>
  __attribute__((target("avx2"))) static uint64_t Bits(const Mask& mask) {
    return static_cast<uint32_t>(_mm256_movemask_epi8(reinterpret_cast<__m256i>(mask)));
  }
  __attribute__((target("avx2"))) static ByteClasses Classify(const char* block) {
    return ClassifyLanes<Avx2>(block);
  }
};

// Processors with AVX-512BW compare all 64 bytes into a mask at once.
struct Avx512 {
  __attribute__((target("avx512bw"))) static ByteClasses Classify(const char* block) {
    const __m512i bytes = _mm512_loadu_si512(block);
    const auto is = [&bytes](char c) __attribute__((target("avx512bw"))) {
      return static_cast<uint64_t>(_mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(c)));
    };
    ByteClasses classes;
    classes.digit =
        _mm512_cmple_epu8_mask(_mm512_sub_epi8(bytes, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
    classes.space = is(' ') | is('\n') | is('\r') | is('\t');
    classes.comma = is(',');
    classes.dot = is('.');
    classes.minus = is('-');
    classes.plus = is('+');
    classes.exponent = _mm512_cmpeq_epi8_mask(_mm512_or_si512(bytes, _mm512_set1_epi8(0x20)),
                                              _mm512_set1_epi8('e'));
    classes.zero = is('0');
    return classes;
  }
};

// The masks' bits from the byte before: what a block needs of the last byte
// of the one before it (bit 0 of each field), and the carries of the runs
// that were still being followed at its end.
struct Carries {
  uint64_t token = 0;
  uint64_t digit = 0;
  uint64_t dot = 0;
  uint64_t sign = 0;            // '-' or '+'
  uint64_t exponent = 0;        // e or E
  uint64_t leading_minus = 0;   // a '-' that starts a number
  uint64_t leading_zero = 0;    // a '0' that starts an integer part
  uint64_t exponent_sign = 0;   // a sign right after e
  uint64_t exponent_first = 0;  // the first digit of an exponent
  uint64_t exponent_second = 0;
  uint64_t comma = 0;
  // Run following by addition: 1 when a run reached the block's last byte.
  uint64_t fraction_run = 0;
  uint64_t exponent_run = 0;
  uint64_t gap_after_number = 0;
  uint64_t gap_after_comma = 0;
};

// Bit i set where byte i-1 (of this block or, for i = 0, the last of the
// block before) is in `mask`.
uint64_t Before(uint64_t mask, uint64_t carry) { return (mask << 1) | carry; }

uint64_t Last(uint64_t mask) { return mask >> 63; }

// run + starts + carry_in, with the carry out: adding a bit at the start of
// a run of ones clears the run and sets the bit just after it.
uint64_t FollowRuns(uint64_t run, uint64_t starts, uint64_t& carry) {
  uint64_t sum = 0;
  const bool first = __builtin_add_overflow(run, starts, &sum);
  const bool second = __builtin_add_overflow(sum, carry, &sum);
  carry = first || second ? 1 : 0;
  return sum;
}

// The first byte outside `run` after each start (each start at the first
// byte of a run, or on a byte outside it, which is then its own answer).
uint64_t FirstAfterRuns(uint64_t run, uint64_t starts, uint64_t& carry) {
  return (starts & ~run) | (FollowRuns(run, starts & run, carry) & ~run);
}

template <typename Isa>
inline const char* CheckBlocks(const char* p, const char* end) {
  const char* last_element = p;
  Carries carry;
  for (const char* block = p; end - block >= kBlock; block += kBlock) {
    const ByteClasses c = Isa::Classify(block);
    const uint64_t sign = c.minus | c.plus;
    const uint64_t token = c.digit | c.dot | sign | c.exponent;
    // Anything else (a bracket, a letter, a quote) is left to the caller.
    if ((token | c.space | c.comma) != ~uint64_t{0}) break;

    const uint64_t after_token = Before(token, carry.token);
    const uint64_t after_digit = Before(c.digit, carry.digit);
    const uint64_t after_dot = Before(c.dot, carry.dot);
    const uint64_t after_sign = Before(sign, carry.sign);
    const uint64_t after_exponent = Before(c.exponent, carry.exponent);
    const uint64_t starts = token & ~after_token;

    // One number per token: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    uint64_t wrong = 0;
    wrong |= c.minus & after_token & ~after_exponent;  // '-' only first or after e
    wrong |= c.plus & ~after_exponent;
    wrong |= after_sign & ~c.digit;
    wrong |= (c.dot | c.exponent) & ~after_digit;
    wrong |= after_dot & ~c.digit;
    wrong |= after_exponent & ~(c.digit | sign);
    const uint64_t leading_minus = starts & c.minus;
    const uint64_t integer_starts =
        (starts & c.digit) | (Before(leading_minus, carry.leading_minus) & c.digit);
    const uint64_t leading_zero = integer_starts & c.zero;
    wrong |= Before(leading_zero, carry.leading_zero) & c.digit;
    // A fraction's digits end in an exponent or the end of the number.
    const uint64_t fraction_end =
        FollowRuns(c.digit, after_dot & c.digit, carry.fraction_run) & ~c.digit;
    wrong |= fraction_end & c.dot;
    // An exponent's digits end the number.
    const uint64_t exponent_sign = after_exponent & sign;
    const uint64_t exponent_first =
        (after_exponent | Before(exponent_sign, carry.exponent_sign)) & c.digit;
    const uint64_t exponent_end =
        FollowRuns(c.digit, exponent_first, carry.exponent_run) & ~c.digit;
    wrong |= exponent_end & token;

    // Beyond what this check vouches for: the caller reads those numbers
    // (an exponent of 3 digits or more, a number of 64 bytes or more).
    const uint64_t exponent_second = Before(exponent_first, carry.exponent_first) & c.digit;
    uint64_t unsure = Before(exponent_second, carry.exponent_second) & c.digit;
    // A number filling a whole block may be longer than a double holds.
    // Shorter ones (at most 127 bytes, so at most 10^127 with an exponent
    // below 100) are far inside the range, as for ParseJson.
    if (token == ~uint64_t{0}) unsure = 1;

    // Between two numbers: whitespace, one comma, whitespace.
    const uint64_t number_ends = after_token & ~token;
    wrong |= FirstAfterRuns(c.space, number_ends, carry.gap_after_number) & ~c.comma;
    const uint64_t after_comma = Before(c.comma, carry.comma);
    wrong |= FirstAfterRuns(c.space, after_comma, carry.gap_after_comma) & ~token;

    if ((wrong | unsure) != 0) break;
    if (starts != 0) last_element = block + 63 - __builtin_clzll(starts);

    carry.token = Last(token);
    carry.digit = Last(c.digit);
    carry.dot = Last(c.dot);
    carry.sign = Last(sign);
    carry.exponent = Last(c.exponent);
    carry.leading_minus = Last(leading_minus);
    carry.leading_zero = Last(leading_zero);
    carry.exponent_sign = Last(exponent_sign);
    carry.exponent_first = Last(exponent_first);
    carry.exponent_second = Last(exponent_second);
    carry.comma = Last(c.comma);
  }
  return last_element;
}

__attribute__((target("avx2"), flatten)) const char* CheckBlocksAvx2(const char* p,
                                                                     const char* end) {
  return CheckBlocks<Avx2>(p, end);
}

__attribute__((target("avx512bw"), flatten)) const char* CheckBlocksAvx512(const char* p,
                                                                           const char* end) {
  return CheckBlocks<Avx512>(p, end);
}

using BlockChecker = const char* (*)(const char*, const char*);

BlockChecker CheckerFor(VectorIsa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case VectorIsa::kAvx512:
      return __builtin_cpu_supports("avx512bw") ? &CheckBlocksAvx512 : nullptr;
    case VectorIsa::kAvx2:
      return __builtin_cpu_supports("avx2") ? &CheckBlocksAvx2 : nullptr;
    case VectorIsa::kSse2:
      return &CheckBlocks<Sse2>;
  }
  return nullptr;
}

// The widest the processor has, chosen once.
const BlockChecker kCheckBlocks = [] {
  for (VectorIsa isa : {VectorIsa::kAvx512, VectorIsa::kAvx2}) {
    if (BlockChecker checker = CheckerFor(isa)) return checker;
  }
  return CheckerFor(VectorIsa::kSse2);
}();

}  // namespace

const char* SkipCheckedNumberElements(const char* p, const char* end) {
  return kCheckBlocks(p, end);
}

const char* SkipCheckedNumberElementsWith(VectorIsa isa, const char* p, const char* end) {
  const BlockChecker checker = CheckerFor(isa);
  return checker != nullptr ? checker(p, end) : nullptr;
}

#else  // no SSE2: the caller reads every number itself

const char* SkipCheckedNumberElements(const char* p, const char*) { return p; }

const char* SkipCheckedNumberElementsWith(VectorIsa, const char*, const char*) { return nullptr; }

#endif

}  // namespace sidecard::engine

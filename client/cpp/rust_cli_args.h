// The old tool's command line, `sportball-sidecar-rust COMMAND [OPTIONS]`,
// read the way its Python implementation (argparse) read it: `--input DIR`,
// `--input=DIR`, `-i DIR`, `-iDIR`, a long option by any prefix that names
// it alone, the last of a repeated option winning.
//
//   validate     -i/--input DIR [-o/--output FILE|-] [-w/--workers N]
//                [--operation-type OP]
//   stats        -i/--input DIR [-o/--output FILE|-] [--operation-type OP]
//   cleanup      -i/--input DIR [--dry-run]
//   export       -i/--input DIR -o/--output FILE [--format json|jsonl|csv]
//                [--operation-type OP]
//   convert      -i/--input DIR -f/--format json|bin|binary|rkyv [--dry-run]
//   format-stats -i/--input DIR [-o/--output FILE|-]
#ifndef SIDECARD_CLIENT_CPP_RUST_CLI_ARGS_H_
#define SIDECARD_CLIENT_CPP_RUST_CLI_ARGS_H_

#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace sidecard::ctl {

struct RustCliArgs {
  std::string command;  // empty with help
  bool help = false;    // -h/--help: print HelpText(command) and exit 0
  std::string input;
  std::string output = "-";
  std::optional<std::string> operation_type;
  std::string format;  // export: json (default), jsonl, csv; convert: required
  bool dry_run = false;
};

// Parses the arguments after the program name. InvalidArgument with
// argparse's wording ("the following arguments are required: -i/--input",
// "argument --format: invalid choice: 'x' (choose from 'json', ...)") and,
// in `command_of_error`, the command whose usage applies (empty: the
// program's).
absl::StatusOr<RustCliArgs> ParseRustCliArgs(std::span<const std::string> args,
                                             std::string* command_of_error);

// The usage line of `command` (or of the program when empty).
std::string RustCliUsage(const std::string& program, const std::string& command);

// The --help text of `command` (or of the program when empty).
std::string RustCliHelp(const std::string& program, const std::string& command);

}  // namespace sidecard::ctl

#endif  // SIDECARD_CLIENT_CPP_RUST_CLI_ARGS_H_

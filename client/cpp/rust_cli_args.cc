#include "client/cpp/rust_cli_args.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sidecard::ctl {

namespace {

// One option of a command, as argparse declared it.
struct Option {
  const char* short_name;  // "-i", or nullptr
  const char* long_name;   // "--input"
  bool takes_value;
  const char* metavar;
  const char* help;
};

struct Command {
  const char* name;
  const char* help;
  std::vector<Option> options;
};

const Option kInput = {"-i", "--input", true, "INPUT", "directory to work on"};
const Option kOutput = {"-o", "--output", true, "OUTPUT", "output file ('-': stdout)"};
const Option kOperation = {nullptr, "--operation-type", true, "OPERATION_TYPE",
                           "only sidecars containing this operation"};
const Option kDryRun = {nullptr, "--dry-run", false, nullptr, "only report what would change"};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"validate",
       "validate every sidecar file under a directory",
       {kInput, kOutput, {"-w", "--workers", true, "WORKERS", "accepted and ignored"}, kOperation}},
      {"stats", "statistics about the images and sidecars", {kInput, kOutput, kOperation}},
      {"cleanup", "remove orphaned sidecar files (deletes!)", {kInput, kDryRun}},
      {"export",
       "export the sidecars to a file",
       {kInput,
        {"-o", "--output", true, "OUTPUT", "file to write"},
        {nullptr, "--format", true, "{json,jsonl,csv}", "json (default), jsonl or csv"},
        kOperation}},
      {"convert",
       "rewrite the sidecars in another format",
       {kInput,
        {"-f", "--format", true, "{json,bin,binary,rkyv}", "the format to write"},
        kDryRun}},
      {"format-stats", "sidecar files per format", {kInput, kOutput}},
  };
  return commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& command : Commands()) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

std::string OptionName(const Option& option) {
  return option.short_name != nullptr ? absl::StrCat(option.short_name, "/", option.long_name)
                                      : option.long_name;
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// The option `word` (`--inp`, `--input=x`, `-i`, `-ix`) names; its inline
// value, if any, in `inline_value`. Null when none, or when a prefix names
// several (then `error` says so).
const Option* MatchOption(const Command& command, const std::string& word,
                          std::optional<std::string>& inline_value, std::string& error) {
  inline_value.reset();
  if (word.rfind("--", 0) == 0) {
    std::string name = word;
    if (const size_t eq = word.find('='); eq != std::string::npos) {
      name = word.substr(0, eq);
      inline_value = word.substr(eq + 1);
    }
    std::vector<const Option*> matches;
    for (const Option& option : command.options) {
      if (name == option.long_name) return &option;
      if (std::string(option.long_name).rfind(name, 0) == 0) matches.push_back(&option);
    }
    if (matches.size() == 1) return matches[0];
    if (matches.size() > 1) {
      std::vector<std::string> names;
      for (const Option* option : matches) names.push_back(option->long_name);
      error = absl::StrCat("ambiguous option: ", name, " could match ", absl::StrJoin(names, ", "));
    }
    return nullptr;
  }
  for (const Option& option : command.options) {
    if (option.short_name == nullptr || word.rfind(option.short_name, 0) != 0) continue;
    if (word.size() > 2) {
      if (!option.takes_value) return nullptr;
      inline_value = word.substr(word[2] == '=' ? 3 : 2);
    }
    return &option;
  }
  return nullptr;
}

// argparse takes a word for a value unless it looks like an option.
bool LooksLikeOption(const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return false;
  double number = 0;
  return !absl::SimpleAtod(word, &number);
}

absl::Status Apply(const Option& option, const std::string& value, RustCliArgs& out) {
  const std::string name = option.long_name;
  if (name == "--input") out.input = value;
  if (name == "--output") out.output = value;
  if (name == "--operation-type") out.operation_type = value;
  if (name == "--dry-run") out.dry_run = true;
  if (name == "--workers") {
    int workers = 0;
    if (!absl::SimpleAtoi(value, &workers)) {
      return Invalid(
          absl::StrCat("argument ", OptionName(option), ": invalid int value: '", value, "'"));
    }
  }
  if (name == "--format") {
    const std::vector<std::string> choices =
        out.command == "export" ? std::vector<std::string>{"json", "jsonl", "csv"}
                                : std::vector<std::string>{"json", "bin", "binary", "rkyv"};
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      return Invalid(absl::StrCat("argument ", OptionName(option), ": invalid choice: '", value,
                                  "' (choose from '", absl::StrJoin(choices, "', '"), "')"));
    }
    out.format = value;
  }
  return absl::OkStatus();
}

std::string CommandNames() {
  std::vector<std::string> names;
  for (const Command& command : Commands()) names.push_back(command.name);
  return absl::StrJoin(names, ",");
}

}  // namespace

absl::StatusOr<RustCliArgs> ParseRustCliArgs(std::span<const std::string> args,
                                             std::string* command_of_error) {
  command_of_error->clear();
  RustCliArgs out;
  size_t at = 0;
  for (; at < args.size() && args[at].rfind("-", 0) == 0 && args[at] != "-"; ++at) {
    if (args[at] == "-h" || args[at] == "--help" ||
        (args[at].size() > 2 && std::string("--help").rfind(args[at], 0) == 0)) {
      out.help = true;
      return out;
    }
    return Invalid(absl::StrCat("unrecognized arguments: ", args[at]));
  }
  if (at == args.size()) return Invalid("the following arguments are required: COMMAND");
  const Command* command = FindCommand(args[at]);
  if (command == nullptr) {
    std::vector<std::string> quoted;
    for (const Command& c : Commands()) quoted.push_back(absl::StrCat("'", c.name, "'"));
    return Invalid(absl::StrCat("argument COMMAND: invalid choice: '", args[at], "' (choose from ",
                                absl::StrJoin(quoted, ", "), ")"));
  }
  out.command = command->name;
  *command_of_error = out.command;
  if (out.command == "export") out.format = "json";
  bool input_given = false;
  bool output_given = false;
  bool format_given = false;
  std::vector<std::string> unrecognized;
  for (++at; at < args.size(); ++at) {
    const std::string& word = args[at];
    if (word == "-h" || (word.size() > 2 && std::string("--help").rfind(word, 0) == 0)) {
      out.help = true;
      return out;
    }
    if (!LooksLikeOption(word)) {
      unrecognized.push_back(word);
      continue;
    }
    std::optional<std::string> value;
    std::string error;
    const Option* option = MatchOption(*command, word, value, error);
    if (option == nullptr) {
      if (!error.empty()) return Invalid(error);
      unrecognized.push_back(word);
      continue;
    }
    if (!option->takes_value) {
      if (value) {
        return Invalid(absl::StrCat("argument ", OptionName(*option),
                                    ": ignored explicit argument '", *value, "'"));
      }
      value = "";
    } else if (!value) {
      if (at + 1 >= args.size() || LooksLikeOption(args[at + 1])) {
        return Invalid(absl::StrCat("argument ", OptionName(*option), ": expected one argument"));
      }
      value = args[++at];
    }
    if (auto s = Apply(*option, *value, out); !s.ok()) return s;
    const std::string name = option->long_name;
    input_given |= name == "--input";
    output_given |= name == "--output";
    format_given |= name == "--format";
  }
  std::vector<std::string> missing;
  if (!input_given) missing.push_back("-i/--input");
  if (out.command == "export" && !output_given) missing.push_back("-o/--output");
  if (out.command == "convert" && !format_given) missing.push_back("-f/--format");
  if (!missing.empty()) {
    return Invalid(
        absl::StrCat("the following arguments are required: ", absl::StrJoin(missing, ", ")));
  }
  if (!unrecognized.empty()) {
    command_of_error->clear();  // argparse reports these from the program's parser
    return Invalid(absl::StrCat("unrecognized arguments: ", absl::StrJoin(unrecognized, " ")));
  }
  return out;
}

std::string RustCliUsage(const std::string& program, const std::string& command) {
  const Command* found = FindCommand(command);
  if (found == nullptr)
    return absl::StrCat("usage: ", program, " [-h] {", CommandNames(), "} ...\n");
  std::string usage = absl::StrCat("usage: ", program, " ", found->name, " [-h]");
  for (const Option& option : found->options) {
    const std::string name = option.short_name != nullptr ? option.short_name : option.long_name;
    const std::string text = option.takes_value ? absl::StrCat(name, " ", option.metavar) : name;
    const bool required =
        std::string(option.long_name) == "--input" ||
        (found->name == std::string("export") && std::string(option.long_name) == "--output") ||
        (found->name == std::string("convert") && std::string(option.long_name) == "--format");
    absl::StrAppend(&usage, required ? " " : " [", text, required ? "" : "]");
  }
  return usage + "\n";
}

std::string RustCliHelp(const std::string& program, const std::string& command) {
  const Command* found = FindCommand(command);
  if (found == nullptr) {
    std::string text = absl::StrCat(
        RustCliUsage(program, ""),
        "\nSidecar validation, statistics, cleanup, export and conversion (the old Rust tool's\n"
        "interface, answered by the sidecard daemon).\n\npositional arguments:\n  {",
        CommandNames(), "}\n");
    for (const Command& c : Commands()) {
      absl::StrAppend(&text, "    ", c.name, std::string(14 - std::string(c.name).size(), ' '),
                      c.help, "\n");
    }
    absl::StrAppend(
        &text, "\noptions:\n  -h, --help    show this help message and exit\n\n",
        "The daemon: $SIDECARD_ADDRESS (default unix:/run/sidecard/sidecard.sock);\n"
        "SIDECARD_AUTOSTART=1 starts a private one if none answers.\n"
        "SIDECARD_COMPAT_CLEANUP=quarantine makes cleanup move orphans aside instead of\n"
        "deleting them.\n");
    return text;
  }
  std::string text = absl::StrCat(RustCliUsage(program, command), "\n", found->help,
                                  "\n\noptions:\n  -h, --help            show this help message "
                                  "and exit\n");
  for (const Option& option : found->options) {
    std::string names = option.short_name != nullptr
                            ? absl::StrCat(option.short_name, " ",
                                           option.metavar != nullptr ? option.metavar : "", ", ")
                            : "";
    absl::StrAppend(&names, option.long_name,
                    option.takes_value ? absl::StrCat(" ", option.metavar) : "");
    absl::StrAppend(&text, "  ", names, "\n                        ", option.help, "\n");
  }
  return text;
}

}  // namespace sidecard::ctl

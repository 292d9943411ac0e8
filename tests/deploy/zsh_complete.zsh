#!/usr/bin/env zsh
# Prints, one per line, the matches zsh's completion system offers for a
# command line, using the completion functions in DIR:
#
#   zsh tests/deploy/zsh_complete.zsh DIR 'sidecarctl cleanup --d'
#
# Runs an interactive zsh on a pseudo-terminal (zsh/zpty), types the line and
# a TAB, and records every match added (compadd) during that completion.
# Markers are split in the source ("MA""TCH") because the terminal echoes
# what is typed.
zmodload zsh/zpty || exit 2
zpty completer zsh -f -i
zpty -w completer "PROMPT=''; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w completer '_capture_reset() { _captured=(); }; compprefuncs=(_capture_reset)'
zpty -w completer 'compadd() { builtin compadd "$@"; local -a added; builtin compadd -O added "$@"; _captured+=($added); }'
zpty -w completer '_capture_print() { local m; for m in $_captured; do print -r -- "MA""TCH:$m"; done; print -r -- "CAPTURE""-END"; compstate[insert]=""; compstate[list]=""; }; comppostfuncs=(_capture_print)'
zpty -w completer "$2"$'\t'
local line
while zpty -r completer line; do
  [[ $line == *CAPTURE-END* ]] && break
  line=${${line//$'\r'/}//$'\n'/}  # the terminal's line ends
  [[ $line == *MATCH:* ]] && print -r -- ${line#*MATCH:}
done
zpty -d completer

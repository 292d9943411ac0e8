# bash completion of sidecarctl: commands, global flags, each command's flags,
# flag values with a fixed set, files and directories where arguments name
# them. Installed as share/bash-completion/completions/sidecarctl (loaded on
# demand by bash-completion); works when sourced alone too. The lists follow
# `sidecarctl --help` and `sidecarctl help COMMAND` (tests/deploy checks them).

_sidecarctl() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # bash splits --name=value at the '=': complete the value of --name.
  if [[ $cur == = ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cur=
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi

  local commands="validate stats find cleanup quarantine read save export convert prune watch info health version help"
  local global_flags="--address --timeout --json --token-file --tls --tls-ca --tls-cert
    --tls-key --help --version"
  # Flags that take a value (the next word), global or a command's.
  local value_flags=" --address --timeout --token-file --tls-ca --tls-cert --tls-key
    --operation --keep-operation --min-age --backend --format --data --file --content --output --to --service
    --batch --older-than --cursor --has --missing --failed --min-faces --min-objects --class
    --changed-since "

  # The command: the first word that is neither a flag nor a flag's value.
  local command= i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == -* ]]; then
      [[ $value_flags == *" $word "* && ${COMP_WORDS[i + 1]} != = ]] && ((i++))
      continue
    fi
    [[ $word == = ]] && { ((i++)); continue; }
    command=$word
    break
  done

  case $prev in
    --token-file | --tls-ca | --tls-cert | --tls-key | --file | --output)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return
      ;;
    --format)
      if [[ $command == export ]]; then
        mapfile -t COMPREPLY < <(compgen -W "json jsonl csv" -- "$cur")
      else
        mapfile -t COMPREPLY < <(compgen -W "bin rkyv json" -- "$cur")
      fi
      return
      ;;
    --to)
      mapfile -t COMPREPLY < <(compgen -W "bin rkyv json" -- "$cur")
      return
      ;;
    --content)
      mapfile -t COMPREPLY < <(compgen -W "documents table" -- "$cur")
      return
      ;;
    --service)
      mapfile -t COMPREPLY < <(compgen -W "sidecar.v1.SidecarService" -- "$cur")
      return
      ;;
    --address | --timeout | --operation | --keep-operation | --min-age | --backend | --data | --cursor | \
      --has | --missing | --failed | --min-faces | --min-objects | --class | --changed-since)
      COMPREPLY=()
      return
      ;;
  esac

  local flags=
  case $command in
    validate) flags="--operation --non-recursive --summary-only --invalid-only --jsonl" ;;
    stats) flags="--operation --non-recursive" ;;
    find) flags="--has --missing --failed --min-faces --min-objects --class --format --invalid
      --orphans --no-sidecar --changed-since --non-recursive --jsonl" ;;
    cleanup) flags="--dry-run --delete --quarantine --min-age --non-recursive --jsonl" ;;
    save) flags="--backend --format --overwrite-corrupt --allow-missing-image --data --file" ;;
    export) flags="--format --content --operation --keep-operation --non-recursive --output" ;;
    convert) flags="--to --apply --non-recursive --jsonl" ;;
    prune) flags="--operation --backend --apply --non-recursive --jsonl" ;;
    health) flags="--service" ;;
    watch) flags="--cursor --jsonl" ;;
    quarantine) flags="--batch --dry-run --older-than --jsonl" ;;
  esac

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags $global_flags" -- "$cur")
    return
  fi
  case $command in
    '') mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur") ;;
    help)
      local after=${COMP_WORDS[*]:i+1:COMP_CWORD-i-1}
      [[ -z $after ]] && mapfile -t COMPREPLY < <(compgen -W "${commands% help}" -- "$cur")
      ;;
    quarantine)
      # First the action (list, restore, purge), then the directory.
      local action= j
      for ((j = i + 1; j < COMP_CWORD; j++)); do
        if [[ ${COMP_WORDS[j]} == -* ]]; then
          [[ $value_flags == *" ${COMP_WORDS[j]} "* ]] && ((j++))
          continue
        fi
        action=${COMP_WORDS[j]}
        break
      done
      if [[ -z $action ]]; then
        mapfile -t COMPREPLY < <(compgen -W "list restore purge" -- "$cur")
      else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      fi
      ;;
    validate | stats | find | cleanup | export | convert | prune | watch)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      ;;
    read | save)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      ;;
    *) COMPREPLY=() ;;
  esac
}

complete -F _sidecarctl sidecarctl

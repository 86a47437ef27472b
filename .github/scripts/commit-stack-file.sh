#!/usr/bin/env bash
# Commits the stack file (Pulumi.$STACK.yaml) with the message $1 and pushes it to $BRANCH with the
# GitHub App's installation token ($APP_TOKEN): step.yml's commit after an update, and its gate's
# after a rollback. The token reaches git from the environment, never from .git/config or a command
# line.
#
# A push that is not a fast-forward (another job of the stack pushed first) is rebased and tried
# again, a bounded number of times. The commit changes the stack file alone, so only that file can
# conflict: if what is deployed is still what .slotshift/deployed.json says this job's update left,
# this file is the truth and wins; otherwise a later update's job commits its own file, and this one
# steps aside. Exits 1 when every attempt failed.
set -eo pipefail
message="$1"
file="Pulumi.$STACK.yaml"
git config user.name "slotshift"
git config user.email "slotshift@users.noreply.github.com"
git config credential.helper '!f() { if [ "$1" = get ]; then printf "username=x-access-token\npassword=%s\n" "$APP_TOKEN"; fi; }; f'
export GIT_TERMINAL_PROMPT=0
git add "$file"
if git diff --cached --quiet; then echo "$file is unchanged: nothing to commit"; exit 0; fi
git commit -q -m "$message"
attempts=${SLOTSHIFT_PUSH_ATTEMPTS:-5}
for attempt in $(seq 1 "$attempts"); do
  if ! git pull --rebase origin "$BRANCH"; then
    if [ ! -d .git/rebase-merge ] && [ ! -d .git/rebase-apply ]; then
      echo "::warning::could not fetch $BRANCH (attempt $attempt of $attempts)"
      sleep "${SLOTSHIFT_PUSH_BACKOFF_SECONDS:-5}"
      continue
    fi
    now=$(pulumi stack output --json --stack "$STACK" | jq -cS '.rollout // null')
    if [ "$now" = "$(jq -cS '.rollout // null' .slotshift/deployed.json)" ]; then
      echo "::warning::$file conflicts with $(git log -1 --format='%h (%s)' FETCH_HEAD -- "$file") on $BRANCH; this job's update is still what is deployed, so its file wins"
      git checkout --theirs -- "$file"
      git add "$file"
      GIT_EDITOR=true git rebase --continue
    else
      echo "::warning::$file conflicts with a newer commit on $BRANCH and a later update of $STACK is deployed: its job commits its own file; this one is not pushed"
      git rebase --abort
      exit 0
    fi
  fi
  if git push origin "HEAD:$BRANCH"; then exit 0; fi
  echo "push refused (attempt $attempt of $attempts)"
  sleep "${SLOTSHIFT_PUSH_BACKOFF_SECONDS:-5}"
done
echo "::error::could not push $file to $BRANCH in $attempts attempts: is the GitHub App a bypass actor (Always) of the branch's rules?"
exit 1

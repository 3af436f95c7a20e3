#!/usr/bin/env bash
# Lay out the pretraining pool of docs/real-benchmark.md ("The pretraining pool") in OUT: the five
# public repositories' hand photos at their pinned commits, each under a fixed folder name, so the
# pool's order (and so every pretraining's identity) is the same on every machine.
#
#   bash scripts/pool.sh OUT [--from DIR]
#
# --from DIR: take the repositories from DIR/<owner>+<name> (a clone, bare or not) instead of
# cloning them from GitHub. The 11K Hands photos are never committed (academic fair use only).
set -euo pipefail

usage() { echo "usage: bash scripts/pool.sh OUT [--from DIR]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
out=$1; shift
from=""
if [[ $# -gt 0 ]]; then
  [[ $1 == --from && $# -eq 2 ]] || usage
  from=$2
fi
[[ ! -e $out ]] || { echo "$out exists already: not touching it (remove it, or choose another folder)" >&2; exit 1; }

# folder in the pool | repository | commit | folders of the repository taken
sources=(
  "11k|SacredWizard/11k-hands-prediction-image-search|c5f9d88|Dataset2 Dataset3"
  "torioux|bregydoc/torioux-hands|2a99f3a|lessDataset_bregy"
  "webcam|SubhiH/HandsDataset|73228cb|images"
  "digits|ardamavi/Sign-Language-Digits-Dataset|4b09433|Dataset"
  "asl|quangminh141005/ASL_Detection|90298c20|Dataset"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git_dir() { # the git directory of repository $1, cloned into $work when not under --from
  local repo=$1 d
  if [[ -n $from ]]; then
    d=$from/${repo/\//+}
    [[ -d $d/repo ]] && d=$d/repo
    [[ -d $d/.git ]] && d=$d/.git
    [[ -d $d ]] || { echo "no clone of $repo at $from/${repo/\//+}" >&2; return 1; }
  else
    d=$work/${repo/\//+}.git
    git clone --quiet --bare "https://github.com/$repo" "$d" >&2
  fi
  echo "$d"
}

mkdir -p "$out.partial"
for s in "${sources[@]}"; do
  IFS='|' read -r name repo commit folders <<<"$s"
  d=$(git_dir "$repo")
  mkdir -p "$out.partial/$name"
  if [[ $name == 11k ]]; then
    # 11K's two sets, flattened into one folder: they share 14 photos (the same bytes under the
    # same name), kept once; their csv files are left out.
    mkdir -p "$work/11k"
    git --git-dir="$d" archive "$commit" $folders | tar -x -C "$work/11k"
    find "$work/11k" -type f -iname '*.jpg' -exec mv -f {} "$out.partial/$name/" \;
  else
    for f in $folders; do
      git --git-dir="$d" archive "$commit" "$f" | tar -x --strip-components=1 -C "$out.partial/$name"
    done
  fi
  # Only photos (the webcam set also holds its annotation files).
  find "$out.partial/$name" -type f ! \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -delete
  echo "$name: $(find "$out.partial/$name" -type f | wc -l) photos from $repo @ $commit" >&2
done
mv "$out.partial" "$out"
echo "$(find "$out" -type f | wc -l) photos in $out" >&2

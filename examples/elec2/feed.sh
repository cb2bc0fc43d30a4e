#!/bin/sh
# Feeds a served Elec2 model as production would: one prediction request per row of
# electricity.csv.gz, each with its own request id, and every row's true label sent back
# later, in batches, through the feedback endpoint.
#
#   examples/elec2/feed.sh [URL] [FIRST_ROW] [ROWS] [RATE] [DELAY]
#
#   URL        the server (default http://127.0.0.1:8080)
#   FIRST_ROW  the first data row to send (default 0: May 1996)
#   ROWS       how many rows (default 3000)
#   RATE       requests per second (default 50)
#   DELAY      labels go back in batches of DELAY rows, DELAY to 2*DELAY rows after their
#              prediction (default 48: one day of half-hours)
#
# One curl process sends everything in order over one connection (`--rate` paces it); at the
# end it prints how many requests were answered, by which model version, and how many failed.
# Needs curl >= 7.84 (Debian 12 has 7.88).
set -eu
URL=${1:-http://127.0.0.1:8080}
FIRST=${2:-0}
ROWS=${3:-3000}
RATE=${4:-50}
DELAY=${5:-48}
DATA=$(dirname "$0")/electricity.csv.gz
MODEL=elec2

zcat "$DATA" | awk -F, -v first="$FIRST" -v rows="$ROWS" -v delay="$DELAY" -v url="$URL" \
                   -v model="$MODEL" '
  BEGIN {
    # Every request of a curl config starts afresh after "next": these go with each one.
    common = "silent\nwrite-out = \"%{http_code} %{url} %header{x-model-version}\\n\"\n"
  }
  NR == 1 { next }  # the header: date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class
  {
    i = NR - 2
    if (i < first) next
    if (i >= first + rows) exit
    printf "url = \"%s/v1/models/%s:predict\"\n", url, model
    printf "header = \"X-Request-Id: %s-%d\"\n", model, i
    printf "header = \"Content-Type: application/json\"\n"
    printf "output = \"/dev/null\"\n%s", common
    printf "data = \"{\\\"instances\\\": [[%s, %s, %s, %s, %s, %s, %s]]}\"\n", $2, $3, $4, $5, $6, $7, $8
    printf "next\n"
    label[i] = $9
    sent = i - first + 1
    if (sent % delay == 0 && sent >= 2 * delay) {
      body = ""
      for (j = i - 2 * delay + 1; j <= i - delay; j++) {
        body = body (body == "" ? "" : ", ") sprintf("{\\\"id\\\": \\\"%s-%d\\\", \\\"label\\\": \\\"%s\\\"}", model, j, label[j])
        delete label[j]
      }
      printf "url = \"%s/v1/models/%s/feedback\"\n", url, model
      printf "header = \"Content-Type: application/json\"\n"
      printf "output = \"/dev/null\"\n%s", common
      printf "data = \"{\\\"feedback\\\": [%s]}\"\n", body
      printf "next\n"
    }
  }' > "${TMPDIR:-/tmp}/mlloop-feed.$$.curl"
trap 'rm -f "${TMPDIR:-/tmp}/mlloop-feed.$$.curl"' EXIT

# The config's last "next" starts an empty request: drop it.
sed -i '$ d' "${TMPDIR:-/tmp}/mlloop-feed.$$.curl"
echo "feeding rows $FIRST..$((FIRST + ROWS - 1)) of $DATA to $URL at $RATE requests/s," \
     "labels $DELAY to $((2 * DELAY)) rows late"
curl --rate "$RATE/s" -K "${TMPDIR:-/tmp}/mlloop-feed.$$.curl" \
     -w '%{http_code} %{url} %header{x-model-version}\n' |
  awk '
    $2 ~ /feedback$/ { if ($1 != 200) { failed++; print "feedback failed: HTTP " $1 }; labels++; next }
    { requests++; if ($1 != 200) failed++; else by[$3]++
      if (requests % 500 == 0) { line = ""; for (v in by) line = line " v" v ": " by[v]
                                 print requests " predictions (" substr(line, 2) ")" } }
    END { line = ""; for (v in by) line = line ", v" v ": " by[v]
          print requests " predictions answered by version" (line == "" ? " (none)" : ":" substr(line, 2)) \
                "; " labels " label batches; " failed + 0 " failed" }'

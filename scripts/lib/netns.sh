# Network trouble for scripts/chaos: a network namespace joined to this one by a veth pair, and
# packet loss on its link (iptables, random drops; the kernel here has no netem qdisc). Needs root.
#   offerloop_netns_up NAME HOST_ADDRESS NAMESPACE_ADDRESS   (a /30 between the two ends)
#   offerloop_netns_down NAME
#   offerloop_netns_loss NAME PERCENT SECONDS [PORTS]   drop PERCENT % of the packets both ways
#     (only those to and from PORTS on the host's side, e.g. 5735,5736, if given: 100 is a
#     partition) for SECONDS

# Whether this machine lets us: root, a namespace with a veth pair, and the iptables rules below.
offerloop_netns_usable() {
  [ "$(id -u)" -eq 0 ] || return 1
  command -v iptables >/dev/null || offerloop_apt_install iptables >/dev/null 2>&1 || return 1
  local usable=0
  if offerloop_netns_up olprobe 10.77.1.1 10.77.1.2 2>/dev/null \
      && ip netns exec olprobe iptables -A OUTPUT -p tcp -m multiport --dports 1,2 -m statistic --mode random --probability 0.5 -j DROP 2>/dev/null; then
    usable=1
  fi
  offerloop_netns_down olprobe
  [ $usable -eq 1 ]
}

offerloop_netns_up() {
  local name="$1" host="$2" inside="$3"
  offerloop_netns_down "$name"
  ip netns add "$name"
  ip link add "$name-h" type veth peer name "$name-n"
  ip link set "$name-n" netns "$name"
  ip addr add "$host/30" dev "$name-h"
  ip link set "$name-h" up
  ip -n "$name" addr add "$inside/30" dev "$name-n"
  ip -n "$name" link set "$name-n" up
  ip -n "$name" link set lo up
}

offerloop_netns_down() {
  ip netns del "$1" 2>/dev/null || true
  ip link del "$1-h" 2>/dev/null || true
}

offerloop_netns_loss() {
  local name="$1" percent="$2" seconds="$3" ports="${4:-}" probability out=() in=()
  probability="$(python3 -c "print($percent / 100)")"
  [ -n "$ports" ] && out=(-p tcp -m multiport --dports "$ports") in=(-p tcp -m multiport --sports "$ports")
  ip netns exec "$name" iptables -A OUTPUT "${out[@]}" -m statistic --mode random --probability "$probability" -j DROP
  ip netns exec "$name" iptables -A INPUT "${in[@]}" -m statistic --mode random --probability "$probability" -j DROP
  sleep "$seconds"
  ip netns exec "$name" iptables -F OUTPUT
  ip netns exec "$name" iptables -F INPUT
}

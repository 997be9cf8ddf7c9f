// The ZeroMQ socket types OfferLoop uses, and the options it sets on them.
import CZeroMQ

public enum SocketType: Sendable {
    case req, rep, dealer, router, pub, sub, xpub, xsub, push, pull, pair

    var raw: Int32 {
        switch self {
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        }
    }
}

/// A socket option with its value. Times are in milliseconds, as libzmq takes them.
public enum SocketOption: Sendable {
    /// How long close waits to send pending messages (-1 forever, 0 drop at once).
    case linger(Int32)
    case sendHighWaterMark(Int32)
    case receiveHighWaterMark(Int32)
    /// How long a blocking receive waits before failing with EAGAIN (-1 forever).
    case receiveTimeout(Int32)
    case sendTimeout(Int32)
    /// The identity a ROUTER peer sees for this socket.
    case routingID([UInt8])
    /// Inbound messages larger than this make libzmq drop the peer (-1: no limit).
    case maxMessageSize(Int64)
    case reconnectInterval(Int32)
    case reconnectIntervalMax(Int32)
    /// SUB: receive messages whose first frame starts with this prefix.
    case subscribe([UInt8])
    case unsubscribe([UInt8])
    /// ROUTER: fail with EHOSTUNREACH instead of silently dropping a message to an unknown peer.
    case routerMandatory(Bool)
    /// Queue messages only to completed connections, so a send does not wait on a dead peer.
    case immediate(Bool)
    /// ZMTP heartbeats: a PING every `interval` ms; a peer silent for `timeout` ms is disconnected
    /// (a stopped process keeps its TCP connection open; this notices it).
    case heartbeat(interval: Int32, timeout: Int32)
    /// CURVE: this side is the server (it holds the secret key clients know the public key of).
    case curveServer(Bool)
    /// CURVE: this socket's own long-term key pair (both sides), and the server's public key (clients).
    case curveKeys(CurveKeyPair)
    case curveServerKey(CurveKey)
    /// The ZAP domain the server's connections are authenticated in.
    case zapDomain(String)

    var name: String {
        switch self {
        case .linger: "ZMQ_LINGER"
        case .sendHighWaterMark: "ZMQ_SNDHWM"
        case .receiveHighWaterMark: "ZMQ_RCVHWM"
        case .receiveTimeout: "ZMQ_RCVTIMEO"
        case .sendTimeout: "ZMQ_SNDTIMEO"
        case .routingID: "ZMQ_ROUTING_ID"
        case .maxMessageSize: "ZMQ_MAXMSGSIZE"
        case .reconnectInterval: "ZMQ_RECONNECT_IVL"
        case .reconnectIntervalMax: "ZMQ_RECONNECT_IVL_MAX"
        case .subscribe: "ZMQ_SUBSCRIBE"
        case .unsubscribe: "ZMQ_UNSUBSCRIBE"
        case .routerMandatory: "ZMQ_ROUTER_MANDATORY"
        case .immediate: "ZMQ_IMMEDIATE"
        case .heartbeat: "ZMQ_HEARTBEAT_IVL/ZMQ_HEARTBEAT_TIMEOUT"
        case .curveServer: "ZMQ_CURVE_SERVER"
        case .curveKeys: "ZMQ_CURVE_PUBLICKEY/ZMQ_CURVE_SECRETKEY"
        case .curveServerKey: "ZMQ_CURVE_SERVERKEY"
        case .zapDomain: "ZMQ_ZAP_DOMAIN"
        }
    }
}

// The gateway's OpenAPI 3.1 document, served at /v1/openapi.json.
import HTTPTypes
import Hummingbird

enum OpenAPIDocument {
    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    static let json = """
    {"openapi": "3.1.0", "info": {"title": "OfferLoop gateway", "version": "1"}, "paths": {}}
    """
}

// The gateway's OpenAPI 3.1 document, served at /v1/openapi.json: every route, its request and
// reply (the protocol's messages in proto3 JSON), and its problems. Written by scripts/gen-openapi;
// GatewayTests checks that it lists exactly the routes the router serves, schemathesis checks the
// real answers against it.
import Foundation
import HTTPTypes
import Hummingbird

enum OpenAPIDocument {
    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    /// Each documented path, its segments (nil for a {parameter}) and its methods, upper case.
    static let operations: [(path: String, segments: [String?], methods: [String])] = {
        let document = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let paths = document?["paths"] as? [String: [String: Any]] ?? [:]
        return paths.map { path, operations in
            let methods = operations.keys.filter { ["get", "put", "post", "delete", "patch"].contains($0) }.map { $0.uppercased() }.sorted()
            return (path, path.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }, methods)
        }
    }()

    /// The methods documented for a concrete path; nil when no documented path matches it.
    static func methods(forPath path: String) -> [String]? {
        let segments = path.split(separator: "/")
        return operations.first { operation in
            operation.segments.count == segments.count && zip(operation.segments, segments).allSatisfy { $0 == nil || $0! == $1 }
        }?.methods
    }

    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "OfferLoop gateway",
  "version": "1",
  "description": "The cluster's HTTP/JSON API: the ZeroMQ protocol's messages in proto3's JSON mapping (docs/PROTOCOL.md). Errors are RFC 9457 problem details carrying the wire's ErrorCode."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  },
  {
   "subscriptionKey": []
  }
 ],
 "paths": {
  "/v1/decisions": {
   "post": {
    "operationId": "decide",
    "summary": "The next best offers for a customer on a channel (decision.decide)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/DecideRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DecideReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/outcomes": {
   "post": {
    "operationId": "recordOutcomes",
    "summary": "What the customer did: one outcome, or a batch of up to 1,000 (feedback.outcome / outcomes); idempotent by eventId",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "oneOf": [
         {
          "$ref": "#/components/schemas/Outcome"
         },
         {
          "$ref": "#/components/schemas/OutcomeBatch"
         }
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "the acknowledgement (a batch: one result per outcome, in order)",
      "content": {
       "application/json": {
        "schema": {
         "oneOf": [
          {
           "$ref": "#/components/schemas/OutcomeAck"
          },
          {
           "$ref": "#/components/schemas/OutcomeBatchReply"
          }
         ]
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/catalog": {
   "get": {
    "operationId": "catalog",
    "summary": "The running catalog of the decision replica that answers",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CatalogReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/catalog/reload": {
   "post": {
    "operationId": "reloadCatalog",
    "summary": "Load the catalog file again (admin keys only)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CatalogReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/whoami": {
   "get": {
    "operationId": "whoami",
    "summary": "The role and name of the request's API key",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WhoAmI"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/customers/{kind}/{value}": {
   "get": {
    "operationId": "customerView",
    "summary": "The one view of a customer (profile.view)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     },
     {
      "name": "events",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "maximum": 1000
      },
      "description": "how many recent events to include"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CustomerView"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "patch": {
    "operationId": "updateCustomer",
    "summary": "Set or remove attributes; create with create: true (profile.upsert)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CustomerUpdate"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CustomerReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "parameters": [
    {
     "name": "kind",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "description": "the identity's kind: customer, card, account, phone, login, loyalty, cookie, device"
    },
    {
     "name": "value",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     }
    }
   ]
  },
  "/v1/customers/{kind}/{value}/identities": {
   "post": {
    "operationId": "addIdentity",
    "summary": "Another identity of the customer (profile.add_identity)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Identity"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CustomerReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "parameters": [
    {
     "name": "kind",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "description": "the identity's kind: customer, card, account, phone, login, loyalty, cookie, device"
    },
    {
     "name": "value",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     }
    }
   ]
  },
  "/v1/customers/{kind}/{value}/events": {
   "post": {
    "operationId": "recordEvent",
    "summary": "An event of the customer (profile.record_event)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EventInput"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CustomerReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "parameters": [
    {
     "name": "kind",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "description": "the identity's kind: customer, card, account, phone, login, loyalty, cookie, device"
    },
    {
     "name": "value",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     }
    }
   ]
  },
  "/v1/customers/{kind}/{value}/transactions": {
   "post": {
    "operationId": "recordTransaction",
    "summary": "A purchase (profile.record_transaction)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/TransactionInput"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CustomerReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "parameters": [
    {
     "name": "kind",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "description": "the identity's kind: customer, card, account, phone, login, loyalty, cookie, device"
    },
    {
     "name": "value",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     }
    }
   ]
  },
  "/v1/customers/{kind}/{value}/holdings": {
   "put": {
    "operationId": "setHolding",
    "summary": "A product held, with its balance (profile.set_holding)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/HoldingUpdate"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CustomerReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "parameters": [
    {
     "name": "kind",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "description": "the identity's kind: customer, card, account, phone, login, loyalty, cookie, device"
    },
    {
     "name": "value",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     }
    }
   ]
  },
  "/v1/customers/{kind}/{value}/session": {
   "get": {
    "operationId": "getSession",
    "summary": "The live session (profile.get_session)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SessionReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "put": {
    "operationId": "setSession",
    "summary": "Set session keys (profile.set_session)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/SessionUpdate"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SessionReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "delete": {
    "operationId": "clearSession",
    "summary": "End the session (profile.set_session with clear)",
    "parameters": [
     {
      "$ref": "#/components/parameters/Deadline"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SessionReply"
        }
       }
      }
     },
     "default": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "parameters": [
    {
     "name": "kind",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "description": "the identity's kind: customer, card, account, phone, login, loyalty, cookie, device"
    },
    {
     "name": "value",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "minLength": 1
     }
    }
   ]
  }
 },
 "components": {
  "schemas": {
   "Double": {
    "description": "a double; NaN and the infinities as strings (proto3 JSON)",
    "anyOf": [
     {
      "type": "number"
     },
     {
      "type": "string",
      "enum": [
       "NaN",
       "Infinity",
       "-Infinity"
      ]
     }
    ]
   },
   "Channel": {
    "type": "string",
    "enum": [
     "CHANNEL_UNSPECIFIED",
     "ATM",
     "KIOSK",
     "WEB",
     "CALL_CENTER"
    ]
   },
   "OutcomeType": {
    "type": "string",
    "enum": [
     "OUTCOME_TYPE_UNSPECIFIED",
     "IMPRESSION",
     "CLICK",
     "ACCEPT",
     "DECLINE",
     "PURCHASE",
     "IGNORED"
    ]
   },
   "ErrorCode": {
    "type": "string",
    "enum": [
     "ERROR_CODE_UNSPECIFIED",
     "MALFORMED",
     "UNSUPPORTED_VERSION",
     "TOO_LARGE",
     "NO_WORKERS",
     "OVERLOADED",
     "DEADLINE_EXCEEDED",
     "UNAVAILABLE",
     "UNKNOWN_METHOD",
     "INVALID_ARGUMENT",
     "NOT_FOUND",
     "ALREADY_EXISTS",
     "UNAUTHORIZED",
     "INTERNAL",
     "SHUTTING_DOWN",
     "OUT_OF_WINDOW",
     "OUT_OF_RANGE"
    ]
   },
   "Identity": {
    "type": "object",
    "properties": {
     "kind": {
      "anyOf": [
       {
        "type": "string",
        "description": "customer, card, account, phone, login, loyalty, cookie, device"
       },
       {
        "type": "null"
       }
      ]
     },
     "value": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false
   },
   "DecideRequest": {
    "type": "object",
    "properties": {
     "identity": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/Identity"
       },
       {
        "type": "null"
       }
      ]
     },
     "channel": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/ChannelInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "slots": {
      "anyOf": [
       {
        "type": "integer",
        "minimum": 0,
        "maximum": 4294967295
       },
       {
        "type": "null"
       }
      ]
     },
     "context": {
      "anyOf": [
       {
        "type": "object",
        "additionalProperties": {
         "type": "string"
        }
       },
       {
        "type": "null"
       }
      ]
     },
     "explain": {
      "anyOf": [
       {
        "type": "boolean"
       },
       {
        "type": "null"
       }
      ]
     },
     "localHour": {
      "anyOf": [
       {
        "type": "integer",
        "minimum": -2147483648,
        "maximum": 2147483647
       },
       {
        "type": "null"
       }
      ]
     },
     "seed": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^[0-9]{1,20}$"
         },
         {
          "type": "integer",
          "minimum": 0,
          "maximum": 18446744073709551615
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "minProfileSequence": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^[0-9]{1,20}$"
         },
         {
          "type": "integer",
          "minimum": 0,
          "maximum": 18446744073709551615
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.DecideRequest"
   },
   "Treatment": {
    "type": "object",
    "properties": {
     "channelText": {
      "type": "string"
     },
     "fields": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "talkingPoints": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "additionalProperties": false
   },
   "OfferChoice": {
    "type": "object",
    "properties": {
     "offerId": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "category": {
      "type": "string"
     },
     "treatment": {
      "$ref": "#/components/schemas/Treatment"
     },
     "propensity": {
      "$ref": "#/components/schemas/Double"
     },
     "probability": {
      "$ref": "#/components/schemas/Double"
     },
     "priority": {
      "$ref": "#/components/schemas/Double"
     },
     "reason": {
      "type": "string"
     },
     "priorPropensity": {
      "$ref": "#/components/schemas/Double"
     }
    },
    "additionalProperties": false
   },
   "DecideReply": {
    "type": "object",
    "properties": {
     "decisionId": {
      "type": "string"
     },
     "customerId": {
      "type": "string"
     },
     "offers": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/OfferChoice"
      }
     },
     "control": {
      "type": "boolean"
     },
     "degraded": {
      "type": "boolean"
     },
     "degradedReason": {
      "type": "string"
     },
     "catalogVersion": {
      "type": "string"
     },
     "modelVersion": {
      "type": "string"
     },
     "explanation": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.DecideReply"
   },
   "Outcome": {
    "type": "object",
    "properties": {
     "eventId": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "decisionId": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "offerId": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "type": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/OutcomeTypeInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "channel": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/ChannelInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "timeUnixMs": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^-?[0-9]{1,19}$"
         },
         {
          "type": "integer",
          "minimum": -9223372036854775808,
          "maximum": 9223372036854775807
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "amount": {
      "anyOf": [
       {
        "type": "number"
       },
       {
        "type": "null"
       }
      ]
     },
     "customerId": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.Outcome"
   },
   "OutcomeBatch": {
    "type": "object",
    "properties": {
     "outcomes": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Outcome"
      },
      "minItems": 1,
      "maxItems": 1000
     }
    },
    "required": [
     "outcomes"
    ],
    "additionalProperties": false
   },
   "OutcomeAck": {
    "type": "object",
    "properties": {
     "eventId": {
      "type": "string"
     },
     "sequence": {
      "type": "string",
      "pattern": "^[0-9]+$",
      "description": "a 64-bit unsigned integer, as a string (proto3 JSON)"
     },
     "duplicate": {
      "type": "boolean"
     }
    },
    "additionalProperties": false
   },
   "WireError": {
    "type": "object",
    "properties": {
     "code": {
      "$ref": "#/components/schemas/ErrorCode"
     },
     "message": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "OutcomeBatchReply": {
    "type": "object",
    "properties": {
     "results": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "ack": {
         "$ref": "#/components/schemas/OutcomeAck"
        },
        "error": {
         "$ref": "#/components/schemas/WireError"
        }
       },
       "additionalProperties": false
      }
     }
    },
    "additionalProperties": false
   },
   "Holding": {
    "type": "object",
    "properties": {
     "product": {
      "type": "string"
     },
     "balance": {
      "$ref": "#/components/schemas/Double"
     },
     "openedUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "updatedUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     }
    },
    "additionalProperties": false
   },
   "HoldingInput": {
    "type": "object",
    "properties": {
     "product": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "balance": {
      "anyOf": [
       {
        "type": "number"
       },
       {
        "type": "null"
       }
      ]
     },
     "openedUnixMs": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^-?[0-9]{1,19}$"
         },
         {
          "type": "integer",
          "minimum": -9223372036854775808,
          "maximum": 9223372036854775807
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "updatedUnixMs": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^-?[0-9]{1,19}$"
         },
         {
          "type": "integer",
          "minimum": -9223372036854775808,
          "maximum": 9223372036854775807
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false
   },
   "CustomerEvent": {
    "type": "object",
    "properties": {
     "type": {
      "type": "string"
     },
     "channel": {
      "$ref": "#/components/schemas/Channel"
     },
     "timeUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "data": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     }
    },
    "additionalProperties": false
   },
   "CustomerEventInput": {
    "type": "object",
    "properties": {
     "type": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "channel": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/ChannelInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "timeUnixMs": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^-?[0-9]{1,19}$"
         },
         {
          "type": "integer",
          "minimum": -9223372036854775808,
          "maximum": 9223372036854775807
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "data": {
      "anyOf": [
       {
        "type": "object",
        "additionalProperties": {
         "type": "string"
        }
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false
   },
   "Contact": {
    "type": "object",
    "properties": {
     "offerId": {
      "type": "string"
     },
     "category": {
      "type": "string"
     },
     "channel": {
      "$ref": "#/components/schemas/Channel"
     },
     "timeUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "kind": {
      "type": "string",
      "enum": [
       "shown",
       "accepted",
       "declined"
      ]
     }
    },
    "additionalProperties": false
   },
   "CustomerView": {
    "type": "object",
    "properties": {
     "customerId": {
      "type": "string"
     },
     "attributes": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "holdings": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "segment": {
      "type": "string"
     },
     "clv": {
      "$ref": "#/components/schemas/Double"
     },
     "pAlive": {
      "$ref": "#/components/schemas/Double"
     },
     "churnRisk": {
      "$ref": "#/components/schemas/Double"
     },
     "lastContactUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "lastResponseUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "session": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "identities": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Identity"
      }
     },
     "churnReasons": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "expectedPurchases": {
      "$ref": "#/components/schemas/Double"
     },
     "optedOut": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Channel"
      }
     },
     "transactions": {
      "type": "integer",
      "minimum": 0,
      "maximum": 4294967295
     },
     "totalSpend": {
      "$ref": "#/components/schemas/Double"
     },
     "lastTransactionUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "holdingDetails": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Holding"
      }
     },
     "recentEvents": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CustomerEvent"
      }
     },
     "anonymous": {
      "type": "boolean"
     },
     "sessionExpiresUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "contacts": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Contact"
      }
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.CustomerView"
   },
   "CustomerUpdate": {
    "type": "object",
    "properties": {
     "attributes": {
      "anyOf": [
       {
        "type": "object",
        "additionalProperties": {
         "type": "string"
        }
       },
       {
        "type": "null"
       }
      ]
     },
     "remove": {
      "anyOf": [
       {
        "type": "array",
        "items": {
         "type": "string"
        }
       },
       {
        "type": "null"
       }
      ]
     },
     "create": {
      "anyOf": [
       {
        "type": "boolean",
        "description": "create a customer for an unknown identity"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.UpsertCustomerRequest without its identity (the path names it)"
   },
   "CustomerReply": {
    "type": "object",
    "properties": {
     "customerId": {
      "type": "string"
     },
     "created": {
      "type": "boolean"
     },
     "duplicate": {
      "type": "boolean"
     },
     "mergedCustomerId": {
      "type": "string"
     },
     "profileSequence": {
      "type": "string",
      "pattern": "^[0-9]+$",
      "description": "a 64-bit unsigned integer, as a string (proto3 JSON)"
     }
    },
    "additionalProperties": false
   },
   "EventInput": {
    "type": "object",
    "properties": {
     "eventId": {
      "anyOf": [
       {
        "type": "string",
        "description": "optional idempotency key"
       },
       {
        "type": "null"
       }
      ]
     },
     "event": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/CustomerEventInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "create": {
      "anyOf": [
       {
        "type": "boolean"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.EventRecord without its identity"
   },
   "TransactionInput": {
    "type": "object",
    "properties": {
     "transactionId": {
      "anyOf": [
       {
        "type": "string",
        "description": "optional idempotency key"
       },
       {
        "type": "null"
       }
      ]
     },
     "timeUnixMs": {
      "anyOf": [
       {
        "anyOf": [
         {
          "type": "string",
          "pattern": "^-?[0-9]{1,19}$"
         },
         {
          "type": "integer",
          "minimum": -9223372036854775808,
          "maximum": 9223372036854775807
         }
        ]
       },
       {
        "type": "null"
       }
      ]
     },
     "amount": {
      "anyOf": [
       {
        "type": "number"
       },
       {
        "type": "null"
       }
      ]
     },
     "quantity": {
      "anyOf": [
       {
        "type": "integer",
        "minimum": 0,
        "maximum": 4294967295
       },
       {
        "type": "null"
       }
      ]
     },
     "channel": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/ChannelInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "product": {
      "anyOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "create": {
      "anyOf": [
       {
        "type": "boolean"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.TransactionRecord without its identity"
   },
   "HoldingUpdate": {
    "type": "object",
    "properties": {
     "holding": {
      "anyOf": [
       {
        "$ref": "#/components/schemas/HoldingInput"
       },
       {
        "type": "null"
       }
      ]
     },
     "closed": {
      "anyOf": [
       {
        "type": "boolean"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.HoldingRecord without its identity"
   },
   "SessionUpdate": {
    "type": "object",
    "properties": {
     "set": {
      "anyOf": [
       {
        "type": "object",
        "additionalProperties": {
         "type": "string"
        }
       },
       {
        "type": "null"
       }
      ]
     },
     "ttlSeconds": {
      "anyOf": [
       {
        "type": "integer",
        "minimum": 0,
        "maximum": 4294967295
       },
       {
        "type": "null"
       }
      ]
     },
     "clear": {
      "anyOf": [
       {
        "type": "boolean"
       },
       {
        "type": "null"
       }
      ]
     }
    },
    "additionalProperties": false,
    "description": "offerloop.v1.SessionRequest without its identity"
   },
   "SessionReply": {
    "type": "object",
    "properties": {
     "customerId": {
      "type": "string"
     },
     "session": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "expiresUnixMs": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "a 64-bit integer, as a string (proto3 JSON)"
     },
     "profileSequence": {
      "type": "string",
      "pattern": "^[0-9]+$",
      "description": "a 64-bit unsigned integer, as a string (proto3 JSON)"
     }
    },
    "additionalProperties": false
   },
   "CatalogReply": {
    "type": "object",
    "properties": {
     "version": {
      "type": "string"
     },
     "path": {
      "type": "string"
     },
     "offers": {
      "type": "integer",
      "minimum": 0,
      "maximum": 4294967295
     },
     "errors": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "reloaded": {
      "type": "boolean"
     }
    },
    "additionalProperties": false
   },
   "WhoAmI": {
    "type": "object",
    "properties": {
     "role": {
      "type": "string",
      "enum": [
       "clients",
       "services",
       "admin",
       "open"
      ]
     },
     "name": {
      "type": "string"
     }
    },
    "required": [
     "role"
    ],
    "additionalProperties": false
   },
   "Problem": {
    "type": "object",
    "properties": {
     "type": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "status": {
      "type": "integer"
     },
     "detail": {
      "type": "string"
     },
     "code": {
      "$ref": "#/components/schemas/ErrorCode"
     }
    },
    "required": [
     "type",
     "title",
     "status",
     "detail",
     "code"
    ],
    "additionalProperties": false,
    "description": "RFC 9457 problem details with the wire's ErrorCode (docs/PROTOCOL.md, HTTP)"
   },
   "ChannelInput": {
    "anyOf": [
     {
      "$ref": "#/components/schemas/Channel"
     },
     {
      "type": "integer",
      "minimum": -2147483648,
      "maximum": 2147483647
     }
    ]
   },
   "OutcomeTypeInput": {
    "anyOf": [
     {
      "$ref": "#/components/schemas/OutcomeType"
     },
     {
      "type": "integer",
      "minimum": -2147483648,
      "maximum": 2147483647
     }
    ]
   }
  },
  "responses": {
   "Problem": {
    "description": "a typed error: 400 MALFORMED, 401 UNAUTHORIZED, 404 NOT_FOUND, 405 (a method the path does not take), 409 ALREADY_EXISTS, 410 OUT_OF_WINDOW or OUT_OF_RANGE, 413 TOO_LARGE, 422 INVALID_ARGUMENT, 429 OVERLOADED, 500 INTERNAL, 501 UNKNOWN_METHOD, 503 NO_WORKERS, UNAVAILABLE or SHUTTING_DOWN (429 and 503 with Retry-After), 504 DEADLINE_EXCEEDED",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   }
  },
  "parameters": {
   "Deadline": {
    "name": "OfferLoop-Deadline-Ms",
    "in": "header",
    "required": false,
    "schema": {
     "type": "integer",
     "minimum": 1,
     "maximum": 60000
    },
    "description": "the time the caller allows for the answer; the gateway's --deadline-ms without it"
   }
  },
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "an API key made by `offerloop keys api`"
   },
   "subscriptionKey": {
    "type": "apiKey",
    "in": "header",
    "name": "Ocp-Apim-Subscription-Key",
    "description": "the same key, as Personalizer's clients send it"
   }
  }
 }
}
"""#
}

// What a script loads as `../src/proto/Packet_pb` on GameLift: the Realtime server's protobuf
// messages of its wire protocol (protocol.md §3), with the API of the code google-protobuf
// generates for them: per field `getX()`/`setX()` (named as protoc names them, `getOpcode`,
// `getPlayersessionid`), `hasX()`/`clearX()` for messages, `getX_asU8()`/`getX_asB64()` for
// bytes, `serializeBinary()`, the static `deserializeBinary(bytes)`, `toObject()`. The
// classes are also at `proto.com.gamelift.rt.proto`, as the generated code puts them.
'use strict';

const { Buffer } = require('buffer');

// ---- the wire format: varints and length-delimited fields ----

const VARINT = 0;
const FIXED64 = 1;
const DELIMITED = 2;
const FIXED32 = 5;

class Writer {
  constructor() {
    this.bytes = [];
  }

  // An int32 as protobuf writes it: a negative one is 10 bytes, sign-extended to 64 bits.
  varint(value) {
    let lo = value >>> 0;
    let hi = value < 0 ? 0xffffffff : 0;
    while (hi !== 0 || lo > 127) {
      this.bytes.push((lo & 127) | 128);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.bytes.push(lo);
  }

  tag(number, wire) {
    this.varint(number * 8 + wire);
  }

  delimited(number, bytes) {
    this.tag(number, DELIMITED);
    this.varint(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.bytes.push(bytes[i]);
  }
}

class Reader {
  constructor(bytes, start, end) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  // The low 32 bits of a varint of up to 10 bytes, as a signed int32.
  varint() {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 70) throw new Error('Failed to parse the message: a varint is too long');
      if (this.pos >= this.end) throw new Error('Failed to parse the message: it ends early');
      const b = this.bytes[this.pos++];
      if (shift < 32) value |= (b & 127) << shift;
      if ((b & 128) === 0) return value;
    }
  }

  // The bounds of a length-delimited field's content.
  delimited() {
    const length = this.varint() >>> 0;
    const start = this.pos;
    if (length > this.end - start) throw new Error('Failed to parse the message: it ends early');
    this.pos += length;
    return [start, start + length];
  }

  skip(wire) {
    if (wire === VARINT) this.varint();
    else if (wire === DELIMITED) this.delimited();
    else if (wire === FIXED64 || wire === FIXED32) {
      const size = wire === FIXED64 ? 8 : 4;
      if (size > this.end - this.pos) throw new Error('Failed to parse the message: it ends early');
      this.pos += size;
    } else {
      throw new Error('Failed to parse the message: wire type ' + wire + ' is not supported');
    }
  }
}

function toBytes(value) {
  if (typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return Uint8Array.from(value);
  throw new TypeError('expected bytes: a Uint8Array, an array of bytes or a base64 string');
}

function toBase64(value) {
  if (typeof value === 'string') return value;
  const bytes = toBytes(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// ---- the messages ----

const INT32 = 'int32';
const SINT32 = 'sint32';
const BOOL = 'bool';
const STRING = 'string';
const BYTES = 'bytes';
const REPEATED_INT32 = 'repeated int32';

// Each message's fields as [name in the .proto, number, type or message name]; the fields of
// Packet's `message` oneof are marked. Order is the .proto's, which the encoding follows.
const GROUP = [['group', 1, INT32]];
const SCHEMA = {
  LoginCommand: [['playerSessionId', 1, STRING], ['clientVersion', 2, INT32]],
  LoginResult: [
    ['success', 1, BOOL], ['reconnectToken', 2, STRING], ['peerId', 3, INT32],
    ['fastPort', 4, INT32], ['caCert', 5, BYTES], ['connectToken', 6, STRING],
  ],
  PingCommand: [],
  PingResult: [],
  UDPConnectMessage: [],
  PlayerConnectMessage: [['peerId', 1, INT32]],
  PlayerDisconnectMessage: [['peerId', 1, INT32]],
  VerifyIdentityCommand: [['peerId', 1, INT32], ['connectToken', 2, STRING]],
  VerifyIdentityResult: [['success', 1, BOOL], ['peerId', 2, INT32]],
  JoinGroup: GROUP,
  LeaveGroup: GROUP,
  RequestGroupMembership: GROUP,
  GroupMembershipUpdate: [['group', 1, INT32], ['players', 2, REPEATED_INT32]],
  Packet: [
    ['opCode', 1, SINT32], ['sequenceNumber', 2, INT32], ['targetPlayer', 3, INT32],
    ['targetGroup', 4, INT32], ['sender', 5, INT32], ['reliable', 6, BOOL],
    ['clientVersion', 7, INT32], ['payload', 15, BYTES],
    ['login', 30, 'LoginCommand', true], ['loginResult', 31, 'LoginResult', true],
    ['ping', 32, 'PingCommand', true], ['pingResult', 33, 'PingResult', true],
    ['verifyIdentity', 37, 'VerifyIdentityCommand', true],
    ['verifyIdentityResult', 38, 'VerifyIdentityResult', true],
    ['udpConnect', 34, 'UDPConnectMessage', true],
    ['playerConnect', 35, 'PlayerConnectMessage', true],
    ['playerDisconnect', 36, 'PlayerDisconnectMessage', true],
    ['joinGroup', 40, 'JoinGroup', true], ['leaveGroup', 41, 'LeaveGroup', true],
    ['requestGroupMembership', 42, 'RequestGroupMembership', true],
    ['groupMembershipUpdate', 43, 'GroupMembershipUpdate', true],
  ],
};

const classes = {};

function defaultOf(type) {
  switch (type) {
    case INT32: case SINT32: return 0;
    case BOOL: return false;
    case STRING: case BYTES: return '';
    default: return undefined;
  }
}

function encode(message, writer) {
  for (const field of message.constructor.fields) {
    const { number, type } = field;
    const value = message.values[number];
    if (value === undefined || value === null) continue;
    switch (type) {
      case INT32:
        if ((value | 0) !== 0) { writer.tag(number, VARINT); writer.varint(value | 0); }
        break;
      case SINT32: {
        const v = value | 0;
        if (v !== 0) { writer.tag(number, VARINT); writer.varint(((v << 1) ^ (v >> 31)) >>> 0); }
        break;
      }
      case BOOL:
        if (value) { writer.tag(number, VARINT); writer.varint(1); }
        break;
      case STRING: {
        const text = String(value);
        if (text.length > 0) writer.delimited(number, Buffer.from(text, 'utf8'));
        break;
      }
      case BYTES: {
        const bytes = toBytes(value);
        if (bytes.length > 0) writer.delimited(number, bytes);
        break;
      }
      case REPEATED_INT32:
        if (value.length > 0) {
          const packed = new Writer();
          for (const item of value) packed.varint(item | 0);
          writer.delimited(number, packed.bytes);
        }
        break;
      default: {
        const inner = new Writer();
        encode(value, inner);
        writer.delimited(number, inner.bytes);
      }
    }
  }
}

function decode(Message, reader) {
  const message = new Message();
  while (reader.pos < reader.end) {
    const key = reader.varint() >>> 0;
    const number = key >>> 3;
    const wire = key & 7;
    const field = Message.byNumber[number];
    if (field === undefined) {
      reader.skip(wire);
      continue;
    }
    const { type } = field;
    if (type === REPEATED_INT32) {
      const list = message.values[number] || (message.values[number] = []);
      if (wire === DELIMITED) {
        const [start, end] = reader.delimited();
        const packed = new Reader(reader.bytes, start, end);
        while (packed.pos < packed.end) list.push(packed.varint());
      } else if (wire === VARINT) {
        list.push(reader.varint());
      } else {
        reader.skip(wire);
      }
      continue;
    }
    const delimited = type === STRING || type === BYTES || classes[type] !== undefined;
    if (wire !== (delimited ? DELIMITED : VARINT)) {
      reader.skip(wire);
      continue;
    }
    if (!delimited) {
      const v = reader.varint();
      message.values[number] = type === BOOL ? v !== 0 : type === SINT32 ? (v >>> 1) ^ -(v & 1) : v;
      continue;
    }
    const [start, end] = reader.delimited();
    if (type === STRING) {
      message.values[number] = Buffer.from(reader.bytes.buffer, reader.bytes.byteOffset + start,
        end - start).toString('utf8');
    } else if (type === BYTES) {
      message.values[number] = new Uint8Array(reader.bytes.subarray(start, end));
    } else {
      if (field.oneof) message.clearOneof();
      message.values[number] = decode(classes[type], new Reader(reader.bytes, start, end));
    }
  }
  return message;
}

// protoc's names: `getPlayersessionid` and `playersessionid` for `playerSessionId`.
function accessorName(name) {
  return name[0].toUpperCase() + name.slice(1).toLowerCase();
}

function defineMessage(name, fields) {
  const Message = class {
    constructor() {
      // Field values by number; unset fields are absent.
      Object.defineProperty(this, 'values', { value: {}, writable: true });
    }

    serializeBinary() {
      const writer = new Writer();
      encode(this, writer);
      return new Uint8Array(writer.bytes);
    }

    static deserializeBinary(bytes) {
      const data = toBytes(bytes);
      return decode(Message, new Reader(data, 0, data.length));
    }

    toObject(includeInstance) {
      return Message.toObject(includeInstance, this);
    }

    static toObject(includeInstance, message) {
      const object = {};
      for (const field of Message.fields) {
        const key = field.name.toLowerCase();
        const value = message.values[field.number];
        if (field.type === REPEATED_INT32) {
          object[key + 'List'] = value === undefined ? [] : value.slice();
        } else if (field.type === BYTES) {
          object[key] = value === undefined ? '' : toBase64(value);
        } else if (classes[field.type] !== undefined) {
          object[key] = value === undefined ? undefined : value.toObject(includeInstance);
        } else {
          object[key] = value === undefined ? defaultOf(field.type) : value;
        }
      }
      if (includeInstance) object.$jspbMessageInstance = message;
      return object;
    }

    clone() {
      return Message.deserializeBinary(this.serializeBinary());
    }

    cloneMessage() {
      return this.clone();
    }

    clearOneof() {
      for (const field of Message.fields) if (field.oneof) delete this.values[field.number];
    }
  };
  Object.defineProperty(Message, 'name', { value: name });
  Message.fields = fields.map(([fieldName, number, type, oneof]) =>
    ({ name: fieldName, number, type, oneof: oneof === true }));
  Message.byNumber = {};
  for (const field of Message.fields) Message.byNumber[field.number] = field;
  Message.displayName = 'proto.com.gamelift.rt.proto.' + name;

  const proto = Message.prototype;
  for (const field of Message.fields) {
    const { number, type } = field;
    const suffix = accessorName(field.name);
    if (type === REPEATED_INT32) {
      proto['get' + suffix + 'List'] = function () {
        return this.values[number] || (this.values[number] = []);
      };
      proto['set' + suffix + 'List'] = function (list) {
        this.values[number] = list || [];
        return this;
      };
      proto['add' + suffix] = function (value, index) {
        const list = this['get' + suffix + 'List']();
        if (index === undefined) list.push(value);
        else list.splice(index, 0, value);
        return this;
      };
      proto['clear' + suffix + 'List'] = function () {
        this.values[number] = [];
        return this;
      };
      continue;
    }
    if (SCHEMA[type] !== undefined) {
      proto['get' + suffix] = function () {
        return this.values[number];
      };
      proto['set' + suffix] = function (value) {
        if (value !== undefined && value !== null && !(value instanceof classes[type])) {
          throw new TypeError('set' + suffix + ': expected a ' + type);
        }
        if (field.oneof) this.clearOneof();
        if (value === undefined || value === null) delete this.values[number];
        else this.values[number] = value;
        return this;
      };
      proto['clear' + suffix] = function () {
        return this['set' + suffix](undefined);
      };
      proto['has' + suffix] = function () {
        return this.values[number] !== undefined;
      };
      continue;
    }
    proto['get' + suffix] = function () {
      const value = this.values[number];
      return value === undefined ? defaultOf(type) : value;
    };
    proto['set' + suffix] = function (value) {
      this.values[number] = value;
      return this;
    };
    if (type === BYTES) {
      proto['get' + suffix + '_asU8'] = function () {
        return toBytes(this['get' + suffix]());
      };
      proto['get' + suffix + '_asB64'] = function () {
        return toBase64(this['get' + suffix]());
      };
    }
  }
  return Message;
}

for (const name of Object.keys(SCHEMA)) classes[name] = defineMessage(name, SCHEMA[name]);

// Packet's `message` oneof: which member is set.
classes.Packet.MessageCase = { MESSAGE_NOT_SET: 0 };
for (const field of classes.Packet.fields) {
  if (field.oneof) classes.Packet.MessageCase[field.name.toUpperCase()] = field.number;
}
classes.Packet.prototype.getMessageCase = function () {
  for (const field of classes.Packet.fields) {
    if (field.oneof && this.values[field.number] !== undefined) return field.number;
  }
  return 0;
};

// The generated code's global namespace.
const root = globalThis.proto || (globalThis.proto = {});
const com = root.com || (root.com = {});
const gamelift = com.gamelift || (com.gamelift = {});
const rt = gamelift.rt || (gamelift.rt = {});
rt.proto = Object.assign(rt.proto || {}, classes);

Object.assign(exports, classes);

//! Golden bytes (protocol.md §2.2), round trips, and a property test that decoding arbitrary
//! bytes never panics.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let digits: String = s.split_whitespace().collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("test hex"))
        .collect()
}

fn assert_golden(packet: &Packet, golden: &str) {
    let bytes = hex(golden);
    assert_eq!(
        encode(packet).as_ref(),
        bytes.as_slice(),
        "encoding differs from the golden bytes"
    );
    assert_eq!(
        &decode(Bytes::from(bytes), 8192).expect("golden decodes"),
        packet
    );
}

fn server_packet(op: Opcode, target: i32, body: Body) -> Packet {
    Packet {
        op_code: op.0,
        target_player: target,
        sender: PeerId::SERVER.0,
        reliable: true,
        body: Some(body),
        ..Default::default()
    }
}

fn udp_connect(op: Opcode, seq: i32) -> Packet {
    Packet {
        op_code: op.0,
        sequence_number: seq,
        target_player: PeerId::SERVER.0,
        sender: 1,
        body: Some(Body::UdpConnect(UdpConnectMessage {})),
        ..Default::default()
    }
}

#[test]
fn login_matches_golden_bytes() {
    let login = Packet {
        target_player: -1,
        reliable: true,
        payload: Bytes::from_static(b"hi"),
        body: Some(Body::Login(LoginCommand {
            player_session_id: "psess-1".into(),
            client_version: CLIENT_VERSION,
        })),
        ..Default::default()
    };
    assert_golden(
        &login,
        "1f 18 ff ff ff ff ff ff ff ff ff 01 30 01 7a 02 68 69 f2 01 0b
         0a 07 70 73 65 73 73 2d 31 10 02",
    );
}

#[test]
fn login_result_matches_golden_bytes() {
    let result = server_packet(
        Opcode::LOGIN_RESULT,
        1,
        Body::LoginResult(Box::new(LoginResult {
            success: true,
            peer_id: 1,
            fast_port: 1935,
            ..Default::default()
        })),
    );
    assert_golden(
        &result,
        "1b 08 01 18 01 28 ff ff ff ff ff ff ff ff ff 01 30 01 fa 01 07 08 01 18 01 20 8f 0f",
    );
}

#[test]
fn udp_handshake_matches_golden_bytes() {
    assert_golden(
        &udp_connect(Opcode::UDP_CONNECT, 0),
        "12 08 09 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00",
    );
    assert_golden(
        &udp_connect(Opcode::UDP_CONNECT, 1),
        "14 08 09 10 01 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00",
    );
    assert_golden(
        &udp_connect(Opcode::UDP_CONNECT_CLIENT_ACK, 2),
        "14 08 0d 10 02 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00",
    );
    let mut ack = server_packet(
        Opcode::UDP_CONNECT_SERVER_ACK,
        1,
        Body::UdpConnect(UdpConnectMessage {}),
    );
    ack.reliable = false;
    assert_golden(
        &ack,
        "12 08 0b 18 01 28 ff ff ff ff ff ff ff ff ff 01 92 02 00",
    );
}

#[test]
fn fast_message_matches_golden_bytes_through_fast_packet() {
    let message = Packet {
        op_code: 10,
        sequence_number: 5,
        target_group: GroupId::ALL_PLAYERS.0,
        sender: 1,
        payload: Bytes::from_static(b"abc"),
        ..Default::default()
    };
    let golden = "16 08 14 10 05 20 ff ff ff ff ff ff ff ff ff 01 28 01 7a 03 61 62 63";
    assert_golden(&message, golden);
    let fast = FastPacket::new(&message);
    assert_eq!(fast.to_bytes(5).as_ref(), hex(golden).as_slice());
    assert_eq!(fast.encoded_len(5), hex(golden).len());
}

#[test]
fn group_commands_match_golden_bytes() {
    let join = Packet {
        op_code: Opcode::JOIN_GROUP.0,
        target_player: -1,
        sender: 1,
        reliable: true,
        body: Some(Body::JoinGroup(JoinGroup { group: 5 })),
        ..Default::default()
    };
    assert_golden(
        &join,
        "16 08 13 18 ff ff ff ff ff ff ff ff ff 01 28 01 30 01 c2 02 02 08 05",
    );
    let update = server_packet(
        Opcode::GROUP_MEMBERSHIP_UPDATE,
        2,
        Body::GroupMembershipUpdate(GroupMembershipUpdate {
            group: 5,
            players: vec![1, 2],
        }),
    );
    assert_golden(
        &update,
        "1a 08 19 18 02 28 ff ff ff ff ff ff ff ff ff 01 30 01 da 02 06 08 05 12 02 01 02",
    );
}

#[test]
fn verify_identity_matches_golden_bytes() {
    let verify = Packet {
        op_code: Opcode::VERIFY_IDENTITY.0,
        sender: 1,
        body: Some(Body::VerifyIdentity(VerifyIdentityCommand {
            peer_id: 1,
            connect_token: "tok".into(),
        })),
        ..Default::default()
    };
    assert_golden(&verify, "0e 08 1b 28 01 aa 02 07 08 01 12 03 74 6f 6b");
    let response = server_packet(
        Opcode::VERIFY_IDENTITY_RESPONSE,
        1,
        Body::VerifyIdentityResult(VerifyIdentityResult {
            success: true,
            peer_id: 1,
        }),
    );
    assert_golden(
        &response,
        "18 08 1d 18 01 28 ff ff ff ff ff ff ff ff ff 01 30 01 b2 02 04 08 01 10 01",
    );
}

#[test]
fn decode_ignores_trailing_bytes_and_rejects_bad_prefixes() {
    let mut bytes = hex("12 08 09 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00");
    bytes.extend_from_slice(b"junk");
    assert_eq!(
        decode(bytes.into(), 8192),
        Ok(udp_connect(Opcode::UDP_CONNECT, 0))
    );
    assert_eq!(decode(Bytes::new(), 8192), Err(DecodeError::BadPrefix));
    assert_eq!(
        decode(Bytes::from_static(&[0x05, 0x08]), 8192),
        Err(DecodeError::Truncated {
            len: 5,
            available: 1
        })
    );
    assert_eq!(
        decode(Bytes::from_static(&[0x80, 0x80, 0x01]), 100),
        Err(DecodeError::TooLong {
            len: 16384,
            max: 100
        })
    );
    assert!(matches!(
        decode(Bytes::from_static(&[0x02, 0x0a, 0x05]), 100),
        Err(DecodeError::Malformed(_))
    ));
}

#[test]
fn opcodes_are_classified_per_spec() {
    for op in [0, -5, -7, -8, -10, -11, -12, -14] {
        assert_eq!(Opcode(op).kind(), OpcodeKind::Command, "{op}");
    }
    for op in [-1, -3, -6, -13, -15, -101, -103, -1000, -1001] {
        assert_eq!(Opcode(op).kind(), OpcodeKind::ServerOnly, "{op}");
    }
    for op in [1, 10, -2, -4, -500, -501, i32::MAX, i32::MIN] {
        assert_eq!(Opcode(op).kind(), OpcodeKind::Application, "{op}");
    }
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(Bytes::from(bytes), 8192);
    }

    #[test]
    fn decoding_prefixed_garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut framed = vec![body.len() as u8 | 0x80, (body.len() >> 7) as u8];
        framed.extend_from_slice(&body);
        let _ = decode(Bytes::from(framed), 8192);
    }

    #[test]
    fn peeking_the_opcode_agrees_with_decoding(
        op in any::<i32>(), seq in any::<i32>(), sender in any::<i32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let packet = Packet {
            op_code: op, sequence_number: seq, sender, payload: payload.into(),
            ..Default::default()
        };
        let expected = (op != 0).then_some(op); // A zero opcode is not encoded.
        prop_assert_eq!(peek_op_code(&encode(&packet), 8192), expected);
    }

    #[test]
    fn peeking_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = peek_op_code(&bytes, 8192);
    }

    #[test]
    fn fast_packets_equal_full_encoding(
        op in any::<i32>(), seq in 0..i32::MAX, target in any::<i32>(), group in any::<i32>(),
        sender in any::<i32>(), payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let packet = Packet {
            op_code: op, sequence_number: seq, target_player: target, target_group: group,
            sender, payload: payload.into(), ..Default::default()
        };
        let fast = FastPacket::new(&packet);
        prop_assert_eq!(fast.to_bytes(seq), encode(&packet));
        let mut split = fast.header(seq).as_bytes().to_vec();
        split.extend_from_slice(fast.body());
        prop_assert_eq!(&split[..], &encode(&packet)[..]);
        prop_assert_eq!(decode(encode(&packet), 8192), Ok(packet));
    }
}

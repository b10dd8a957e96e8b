//! Global object IDs (`Node.id`) and pagination cursors.
//!
//! Both are opaque to clients: URL-safe base64 of `Type:id` (for a unit
//! `Unit:MAP:id`) and `cursor:id`. Clients must not parse them; we may change what is inside.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

/// The object types that have global IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    Unit,
    Campaign,
    Team,
    Report,
}

impl NodeType {
    fn as_str(self) -> &'static str {
        match self {
            NodeType::Unit => "Unit",
            NodeType::Campaign => "Campaign",
            NodeType::Team => "Team",
            NodeType::Report => "Report",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "Unit" => Some(NodeType::Unit),
            "Campaign" => Some(NodeType::Campaign),
            "Team" => Some(NodeType::Team),
            "Report" => Some(NodeType::Report),
            _ => None,
        }
    }
}

/// The global ID of a stored object.
pub fn encode(kind: NodeType, id: i64) -> async_graphql::ID {
    async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.as_str())))
}

/// The global ID of a unit, which carries its map (`Unit:VN2025:20049`):
/// a unit is (map, level, code), and its ID says which map at a glance.
pub fn encode_unit(map: entity::unit::AdminMap, id: i64) -> async_graphql::ID {
    async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("Unit:{}:{id}", map.name())))
}

/// Decodes a global ID; `argument` names the argument for the error. A
/// unit's ID names its map (IDs of units are unique across maps, so the
/// number alone finds it; IDs made before the maps, without one, are
/// still read).
pub fn decode(id: &str, argument: &str) -> AppResult<(NodeType, i64)> {
    let bad = || AppError::bad_input(argument, "not a valid ID");
    let raw = URL_SAFE_NO_PAD.decode(id.as_bytes()).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (kind, number) = raw.split_once(':').ok_or_else(bad)?;
    let kind = NodeType::parse(kind).ok_or_else(bad)?;
    let number = match (kind, number.split_once(':')) {
        (NodeType::Unit, Some((map, number))) => {
            entity::unit::AdminMap::parse(map).ok_or_else(bad)?;
            number
        }
        _ => number,
    };
    let number = number.parse::<i64>().map_err(|_| bad())?;
    Ok((kind, number))
}

/// Decodes a global ID that must be of one type.
pub fn decode_as(id: &str, expected: NodeType, argument: &str) -> AppResult<i64> {
    match decode(id, argument)? {
        (kind, number) if kind == expected => Ok(number),
        _ => Err(AppError::bad_input(
            argument,
            format!("expected the ID of a {}", expected.as_str()),
        )),
    }
}

/// The cursor of a row in a keyset-paginated list.
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{id}"))
}

/// Decodes an `after` cursor.
pub fn decode_cursor(cursor: &str) -> AppResult<i64> {
    let bad = || AppError::bad_input("after", "not a valid cursor");
    let raw = URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    raw.strip_prefix("cursor:")
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = encode(NodeType::Unit, 43);
        assert_eq!(decode(&id, "id").ok(), Some((NodeType::Unit, 43)));
        assert!(decode("not base64!", "id").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("Nope:1"), "id").is_err());
        assert!(decode_as(&id, NodeType::Team, "id").is_err());
        assert_eq!(decode_cursor(&encode_cursor(7)).ok(), Some(7));
        assert!(decode_cursor("xyz").is_err());
    }

    #[test]
    fn a_unit_id_carries_its_map() {
        let id = encode_unit(entity::unit::AdminMap::Vn2025, 20_049);
        let raw = URL_SAFE_NO_PAD.decode(id.as_bytes()).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&raw), "Unit:VN2025:20049");
        assert_eq!(decode(&id, "id").ok(), Some((NodeType::Unit, 20_049)));
        assert!(decode(&URL_SAFE_NO_PAD.encode("Unit:VN1999:1"), "id").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("Team:VN2025:1"), "id").is_err());
    }
}

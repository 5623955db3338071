//! The field names a form or query struct reads, asked of its own `Deserialize`: serde
//! hands every struct's field list to `deserialize_struct`, so a deserializer that only
//! listens for that call learns the names without a value being read. The route table
//! uses this so the hostile-input test sends every field a handler reads.

use serde::de::{self, Deserialize, Deserializer, Visitor};

#[derive(Debug)]
struct Listened(&'static [&'static str]);

impl std::fmt::Display for Listened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fields listed")
    }
}

impl std::error::Error for Listened {}

impl de::Error for Listened {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Listened(&[])
    }
}

struct Listener;

impl<'de> Deserializer<'de> for Listener {
    type Error = Listened;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Listened> {
        Err(Listened(&[]))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Listened> {
        Err(Listened(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The names of the fields `T` reads (empty for anything that is not a plain struct).
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(Listener) {
        Ok(_) => &[],
        Err(Listened(fields)) => fields,
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        #[serde(default)]
        page: Option<String>,
    }

    #[test]
    fn a_structs_field_names_are_read_from_its_deserialize() {
        assert_eq!(super::fields_of::<Sample>(), ["name", "page"]);
        assert!(super::fields_of::<String>().is_empty());
    }
}

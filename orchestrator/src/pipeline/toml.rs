//! The TOML subset recipes are written in, parsed to JSON: tables, arrays of tables, dotted keys, strings (basic, literal, multi-line), integers, floats, booleans, arrays and inline tables.

use serde_json::{Map, Value};

/// A recipe file that is not valid in this TOML subset.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct TomlError {
    pub line: usize,
    pub message: String,
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
}

/// Parses a document into a JSON object.
pub fn parse(text: &str) -> Result<Value, TomlError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
    };
    let mut root = Map::new();
    // Path of the table the following keys go into; `true` for the last
    // element of an array of tables.
    let mut current: Vec<(String, bool)> = Vec::new();
    loop {
        p.skip_ws_comments_newlines();
        if p.pos >= p.src.len() {
            break;
        }
        if p.peek() == Some(b'[') {
            let array = p.src.get(p.pos + 1) == Some(&b'[');
            p.pos += if array { 2 } else { 1 };
            p.skip_inline_ws();
            let keys = p.key_path()?;
            p.skip_inline_ws();
            let close: &[u8] = if array { b"]]" } else { b"]" };
            if !p.src[p.pos..].starts_with(close) {
                return Err(p.err("expected `]` closing the table header"));
            }
            p.pos += close.len();
            p.end_of_line()?;
            let line = p.line;
            open_table(&mut root, &keys, array).map_err(|m| TomlError { line, message: m })?;
            current = keys.into_iter().map(|k| (k, false)).collect();
            if let Some(last) = current.last_mut() {
                last.1 = array;
            }
            continue;
        }
        let keys = p.key_path()?;
        p.skip_inline_ws();
        if p.peek() != Some(b'=') {
            return Err(p.err("expected `=` after the key"));
        }
        p.pos += 1;
        p.skip_inline_ws();
        let value = p.value()?;
        p.end_of_line()?;
        let line = p.line;
        let table = navigate(&mut root, &current).map_err(|m| TomlError { line, message: m })?;
        insert_dotted(table, &keys, value).map_err(|m| TomlError { line, message: m })?;
    }
    Ok(Value::Object(root))
}

fn navigate<'m>(
    root: &'m mut Map<String, Value>,
    path: &[(String, bool)],
) -> Result<&'m mut Map<String, Value>, String> {
    let mut t = root;
    for (k, _) in path {
        let v = t
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let v = match v {
            Value::Array(items) => items
                .last_mut()
                .ok_or_else(|| format!("`{k}` is an empty array"))?,
            other => other,
        };
        t = v
            .as_object_mut()
            .ok_or_else(|| format!("`{k}` is not a table"))?;
    }
    Ok(t)
}

fn open_table(root: &mut Map<String, Value>, keys: &[String], array: bool) -> Result<(), String> {
    let Some((last, parents)) = keys.split_last() else {
        return Err("empty table name".into());
    };
    let path: Vec<(String, bool)> = parents.iter().map(|k| (k.clone(), false)).collect();
    let parent = navigate(root, &path)?;
    if array {
        match parent
            .entry(last.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(items) => items.push(Value::Object(Map::new())),
            _ => {
                return Err(format!(
                    "`{last}` is already a table, not an array of tables"
                ));
            }
        }
    } else {
        match parent
            .entry(last.clone())
            .or_insert_with(|| Value::Object(Map::new()))
        {
            Value::Object(_) => {}
            _ => return Err(format!("`{last}` is already a value")),
        }
    }
    Ok(())
}

fn insert_dotted(
    table: &mut Map<String, Value>,
    keys: &[String],
    value: Value,
) -> Result<(), String> {
    let Some((last, parents)) = keys.split_last() else {
        return Err("empty key".into());
    };
    let mut t = table;
    for k in parents {
        t = t
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("`{k}` is not a table"))?;
    }
    if t.contains_key(last) {
        return Err(format!("duplicate key `{last}`"));
    }
    t.insert(last.clone(), value);
    Ok(())
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn err(&self, message: &str) -> TomlError {
        TomlError {
            line: self.line,
            message: message.to_owned(),
        }
    }

    fn skip_inline_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.pos += 1;
            }
        }
    }

    fn skip_ws_comments_newlines(&mut self) {
        loop {
            self.skip_inline_ws();
            self.skip_comment();
            match self.peek() {
                Some(b'\n') => {
                    self.line += 1;
                    self.pos += 1;
                }
                Some(b'\r') => self.pos += 1,
                _ => break,
            }
        }
    }

    fn end_of_line(&mut self) -> Result<(), TomlError> {
        self.skip_inline_ws();
        self.skip_comment();
        match self.peek() {
            None | Some(b'\n' | b'\r') => Ok(()),
            _ => Err(self.err("unexpected text after the value")),
        }
    }

    fn key_path(&mut self) -> Result<Vec<String>, TomlError> {
        let mut keys = vec![self.key()?];
        loop {
            self.skip_inline_ws();
            if self.peek() != Some(b'.') {
                return Ok(keys);
            }
            self.pos += 1;
            self.skip_inline_ws();
            keys.push(self.key()?);
        }
    }

    fn key(&mut self) -> Result<String, TomlError> {
        match self.peek() {
            Some(b'"') => self.basic_string(),
            Some(b'\'') => self.literal_string(),
            _ => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    self.pos += 1;
                }
                if start == self.pos {
                    return Err(self.err("expected a key"));
                }
                Ok(self.text[start..self.pos].to_owned())
            }
        }
    }

    fn value(&mut self) -> Result<Value, TomlError> {
        match self.peek() {
            Some(b'"') => self.basic_string().map(Value::String),
            Some(b'\'') => self.literal_string().map(Value::String),
            Some(b'[') => self.array(),
            Some(b'{') => self.inline_table(),
            Some(b't') if self.src[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            Some(b'f') if self.src[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'+' => self.number(),
            _ => Err(self.err("expected a value (string, number, boolean, array or table)")),
        }
    }

    fn number(&mut self) -> Result<Value, TomlError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'_' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        let raw: String = self.text[start..self.pos]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        if let Ok(i) = raw.parse::<i64>() {
            return Ok(Value::from(i));
        }
        raw.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| self.err(&format!("`{raw}` is not a number")))
    }

    fn basic_string(&mut self) -> Result<String, TomlError> {
        let multi = self.src[self.pos..].starts_with(b"\"\"\"");
        self.pos += if multi { 3 } else { 1 };
        if multi && self.peek() == Some(b'\n') {
            self.pos += 1;
            self.line += 1;
        }
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(self.err("unterminated string"));
            };
            if multi && rest.starts_with("\"\"\"") {
                self.pos += 3;
                return Ok(out);
            }
            if !multi && c == '"' {
                self.pos += 1;
                return Ok(out);
            }
            if c == '\n' {
                if !multi {
                    return Err(self.err("newline in a single-line string"));
                }
                self.line += 1;
            }
            self.pos += c.len_utf8();
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.text[self.pos..].chars().next() else {
                return Err(self.err("unterminated escape"));
            };
            self.pos += e.len_utf8();
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'u' => {
                    let hex = self
                        .text
                        .get(self.pos..self.pos + 4)
                        .ok_or_else(|| self.err("short \\u escape"))?;
                    let ch = u32::from_str_radix(hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| self.err("bad \\u escape"))?;
                    out.push(ch);
                    self.pos += 4;
                }
                '\n' if multi => {
                    // Line-ending backslash: trim the newline and indentation.
                    self.line += 1;
                    while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                        if self.peek() == Some(b'\n') {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                }
                other => return Err(self.err(&format!("unknown escape `\\{other}`"))),
            }
        }
    }

    fn literal_string(&mut self) -> Result<String, TomlError> {
        self.pos += 1;
        let start = self.pos;
        while !matches!(self.peek(), None | Some(b'\'' | b'\n')) {
            self.pos += 1;
        }
        if self.peek() != Some(b'\'') {
            return Err(self.err("unterminated literal string"));
        }
        let s = self.text[start..self.pos].to_owned();
        self.pos += 1;
        Ok(s)
    }

    fn array(&mut self) -> Result<Value, TomlError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws_comments_newlines();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.skip_ws_comments_newlines();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(self.err("expected `,` or `]` in the array")),
            }
        }
    }

    fn inline_table(&mut self) -> Result<Value, TomlError> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws_comments_newlines();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Object(map));
            }
            let keys = self.key_path()?;
            self.skip_inline_ws();
            if self.peek() != Some(b'=') {
                return Err(self.err("expected `=` in the inline table"));
            }
            self.pos += 1;
            self.skip_inline_ws();
            let v = self.value()?;
            insert_dotted(&mut map, &keys, v).map_err(|m| self.err(&m))?;
            self.skip_ws_comments_newlines();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected `,` or `}` in the inline table")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_recipe_subset() {
        let doc = r#"
# a recipe
name = "demo"   # trailing comment
retries = 2
ratio = 0.5
on = true
tags = ["a", 'b', ]
[params.client_id]
required = true
description = """
Multi
line"""

[[steps]]
id = "one"
args = { brief = { channels = ["meta"], n = 3 }, key.sub = "x" }

[[steps]]
id = "two"
when = "{{steps.one.output}}"
[steps.retry]
max = 3
"#;
        let v = parse(doc).unwrap();
        assert_eq!(
            v,
            json!({
                "name": "demo", "retries": 2, "ratio": 0.5, "on": true, "tags": ["a", "b"],
                "params": {"client_id": {"required": true, "description": "Multi\nline"}},
                "steps": [
                    {"id": "one", "args": {"brief": {"channels": ["meta"], "n": 3}, "key": {"sub": "x"}}},
                    {"id": "two", "when": "{{steps.one.output}}", "retry": {"max": 3}}
                ]
            })
        );
    }

    #[test]
    fn errors_carry_the_line() {
        assert_eq!(parse("a = 1\nb = \n").unwrap_err().line, 2);
        assert_eq!(
            parse("a = 1\na = 2").unwrap_err().message,
            "duplicate key `a`"
        );
        assert!(parse("x = \"open").is_err());
        assert!(parse("[t\nx=1").is_err());
        assert!(parse("x = 1 y").is_err());
    }

    #[test]
    fn escapes_and_unicode() {
        let v = parse(r#"s = "a\"b\\c\u00e9 ñ""#).unwrap();
        assert_eq!(v["s"], "a\"b\\cé ñ");
    }
}

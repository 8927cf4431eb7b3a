//! A tiny XML well-formedness checker for the rendered report and its SVG.

/// Checks that `text` is well-formed XML-ish markup: every tag closes in order,
/// attributes are `name="value"` without `<`, text has no raw `<` and every
/// `&` starts an entity. `void` lists HTML elements that need no close tag.
pub fn check_markup(text: &str, void: &[&str]) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut i = 0;
    let mut elements = 0;
    let mut in_raw: Option<&str> = None; // inside <style>: skip to its close tag
    while i < bytes.len() {
        if let Some(raw) = in_raw {
            let close = format!("</{raw}>");
            let Some(off) = text[i..].find(&close) else {
                return Err(format!("unclosed <{raw}>"));
            };
            i += off;
            in_raw = None;
            continue;
        }
        match bytes[i] {
            b'<' => {
                let Some(end) = text[i..].find('>') else {
                    return Err(format!("unterminated tag at byte {i}"));
                };
                let tag = &text[i + 1..i + end];
                i += end + 1;
                if tag.starts_with('!') {
                    continue; // <!DOCTYPE html>
                }
                if let Some(name) = tag.strip_prefix('/') {
                    let name = name.trim();
                    match stack.pop() {
                        Some(open) if open == name => {}
                        other => return Err(format!("</{name}> closes {other:?}")),
                    }
                    continue;
                }
                let self_closing = tag.ends_with('/');
                let body = tag.trim_end_matches('/');
                let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
                let name = &body[..name_end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(format!("bad tag name in <{tag}>"));
                }
                check_attributes(&body[name_end..]).map_err(|e| format!("<{name}>: {e}"))?;
                elements += 1;
                if self_closing || void.contains(&name) {
                    continue;
                }
                if name == "style" {
                    in_raw = Some("style");
                }
                stack.push(name.to_string());
            }
            b'&' => {
                let rest = &text[i + 1..];
                let end = rest
                    .find(';')
                    .ok_or_else(|| format!("bare & at byte {i}"))?;
                let entity = &rest[..end];
                let ok = !entity.is_empty()
                    && end < 10
                    && (entity.chars().all(|c| c.is_ascii_alphanumeric())
                        || (entity.starts_with('#')
                            && entity[1..]
                                .trim_start_matches(['x', 'X'])
                                .chars()
                                .all(|c| c.is_ascii_hexdigit())));
                if !ok {
                    return Err(format!("bad entity &{entity}; at byte {i}"));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    Ok(elements)
}

fn check_attributes(mut s: &str) -> Result<(), String> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(());
        }
        let eq = s
            .find('=')
            .ok_or_else(|| format!("attribute without value in {s:?}"))?;
        let name = s[..eq].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
        {
            return Err(format!("bad attribute name {name:?}"));
        }
        let rest = &s[eq + 1..];
        if !rest.starts_with('"') {
            return Err(format!("unquoted attribute {name}"));
        }
        let close = rest[1..]
            .find('"')
            .ok_or_else(|| format!("unterminated attribute {name}"))?;
        let value = &rest[1..1 + close];
        if value.contains('<') {
            return Err(format!("raw < in attribute {name}"));
        }
        s = &rest[close + 2..];
    }
}

pub fn svg_fragments(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = html[from..].find("<svg") {
        let start = from + start;
        let end =
            html[start..].find("</svg>").expect("every <svg> closes") + start + "</svg>".len();
        out.push(&html[start..end]);
        from = end;
    }
    out
}

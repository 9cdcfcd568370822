//! E-mail addresses: lower case, full-width `＠` and stray spaces fixed.

use super::text::fold_width;

/// Normalises and checks an address.
pub fn normalize(raw: &str) -> Result<String, String> {
    let s: String = fold_width(raw).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let s = s.trim_matches(|c| matches!(c, '<' | '>' | ';' | ',' | '.' | '。' | '；' | '，' | '、')).to_string();
    let Some((local, domain)) = s.split_once('@') else {
        return Err(format!("`{}` is not an e-mail address (no @)", raw.trim()));
    };
    let ok_local = !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
    let ok_domain = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !ok_local || !ok_domain {
        return Err(format!("`{}` is not a valid e-mail address", raw.trim()));
    }
    Ok(s)
}

/// An address whose local part is a mobile number (`13812345678@163.com`)
/// also tells us that mobile.
pub fn mobile_in_local_part(email: &str) -> Option<String> {
    let local = email.split('@').next()?;
    (local.len() == 11 && local.starts_with('1') && local.bytes().all(|b| b.is_ascii_digit()))
        .then(|| local.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(normalize("Zhang.San@QQ.com").as_deref(), Ok("zhang.san@qq.com"));
        assert_eq!(normalize(" li ＠163.com ").as_deref(), Ok("li@163.com"));
        assert!(normalize("abc@").is_err());
        assert_eq!(normalize("3294464757@qq.com。").as_deref(), Ok("3294464757@qq.com"));
        assert!(normalize("zhang#qq.com").is_err());
        assert!(normalize("a@b").is_err());
        assert_eq!(mobile_in_local_part("13812345678@163.com").as_deref(), Some("13812345678"));
        assert_eq!(mobile_in_local_part("li@163.com"), None);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in "\\PC{0,40}") {
            if let Ok(v) = normalize(&s) {
                prop_assert_eq!(normalize(&v), Ok(v.clone()));
            }
        }
    }
}

//! A small builder for statements whose shape depends on which filters are
//! set: the text is assembled from fixed fragments only and every value is
//! a numbered bind parameter.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

/// A bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

/// Fixed SQL fragments and their bound values, in order.
#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(start: &'static str) -> Self {
        Self {
            text: start.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends a fixed fragment.
    pub fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends the next placeholder bound to `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    pub fn text_arg(&mut self, v: impl Into<String>) -> &mut Self {
        self.bind(Arg::Text(Some(v.into())))
    }

    pub fn int_arg(&mut self, v: i64) -> &mut Self {
        self.bind(Arg::Int(Some(v)))
    }

    /// `(v1, v2, …)` with one placeholder per value.
    pub fn list<I, S>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.text.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.text_arg(v);
        }
        self.text.push(')');
        self
    }

    /// The statement, ready to run.
    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }

    #[cfg(test)]
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut s = Sql::new("SELECT 1 FROM t WHERE a = ");
        s.text_arg("x")
            .push(" AND b IN ")
            .list(["p", "q"])
            .push(" LIMIT ")
            .int_arg(3);
        assert_eq!(
            s.text(),
            "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4"
        );
    }
}

//! Type names: `integer`, `double precision`, `varchar(10)`, `numeric(12, 2)`,
//! `timestamp(3) with time zone`, `pg_catalog.regclass`, `text[]`...
//!
//! The SQL standard spells many types with keywords and several words, so
//! they are parsed here rather than as plain names. The result is a
//! [`TypeName`] whose name is normalized for `DataType::from_name`: lower-case
//! words joined by single spaces, schema qualification dropped, national
//! character types folded to `character`, and interval fields dropped
//! (`interval day to second` is `interval`).

use super::ast::TypeName;
use super::ast::{Expr, Literal, UnaryOp};
use super::cursor::{PResult, Parser};
use super::lexer::Tok;
use crate::error::{Error, SqlState};

/// The integer a type-modifier expression stands for: `10`, `-2`, `+3`.
pub(super) fn modifier_value(e: &Expr) -> Option<i64> {
    match e {
        Expr::Literal(Literal::Integer(d)) => d.parse().ok(),
        Expr::Unary {
            op: UnaryOp::Minus,
            expr,
        } => modifier_value(expr).map(|v| -v),
        Expr::Unary {
            op: UnaryOp::Plus,
            expr,
        } => modifier_value(expr),
        _ => None,
    }
}

/// Column-name keywords (and `double`) that begin a standard type name.
const TYPE_KEYWORDS: &[&str] = &[
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "dec",
    "decimal",
    "double",
    "float",
    "int",
    "integer",
    "interval",
    "national",
    "nchar",
    "numeric",
    "real",
    "smallint",
    "time",
    "timestamp",
    "varchar",
];

/// Interval field words (`INTERVAL '1' DAY`, `interval day to second`).
const INTERVAL_FIELDS: &[&str] = &["year", "month", "day", "hour", "minute", "second"];

impl Parser<'_> {
    /// True when the current word starts a keyword type name (`int`,
    /// `timestamp`, `double precision`...): such a word followed by a string
    /// is a typed literal rather than a column.
    pub(super) fn at_type_keyword(&self) -> bool {
        match self.peek() {
            Tok::Word(w) if w == "double" => self.is_kw_at(1, "precision"),
            Tok::Word(w) => TYPE_KEYWORDS.contains(&w.as_str()),
            _ => false,
        }
    }

    /// `Typename`: a simple type name with optional array bounds.
    pub(super) fn type_name(&mut self) -> PResult<TypeName> {
        self.eat_kw("setof");
        let mut ty = self.simple_type_name()?;
        self.array_bounds(&mut ty)?;
        Ok(ty)
    }

    /// `[]`, `[n]` (repeatable) or `ARRAY [ '[' n ']' ]` after a type.
    fn array_bounds(&mut self, ty: &mut TypeName) -> PResult<()> {
        if self.eat_kw("array") {
            ty.array = true;
            if self.eat(&Tok::LBracket) {
                self.signed_int()?;
                self.expect(&Tok::RBracket)?;
            }
            return Ok(());
        }
        while self.eat(&Tok::LBracket) {
            if !self.is(&Tok::RBracket) {
                self.signed_int()?;
            }
            self.expect(&Tok::RBracket)?;
            ty.array = true;
        }
        Ok(())
    }

    /// `SimpleTypename`: a keyword type or a (possibly qualified) generic name.
    pub(super) fn simple_type_name(&mut self) -> PResult<TypeName> {
        if self.at_type_keyword() {
            return self.keyword_type();
        }
        let first = self.type_function_name()?;
        let mut name = first.name;
        while self.eat(&Tok::Dot) {
            name = self.col_label()?.name;
        }
        let modifiers = self.opt_modifiers()?;
        Ok(TypeName {
            name,
            modifiers,
            array: false,
        })
    }

    /// A type spelled with keywords (`Numeric`, `Character`, `ConstDatetime`,
    /// `ConstInterval`, `Bit` in gram.y).
    fn keyword_type(&mut self) -> PResult<TypeName> {
        let Tok::Word(word) = self.take() else {
            return self.fail();
        };
        let simple = |name: &str| TypeName {
            name: name.to_string(),
            modifiers: Vec::new(),
            array: false,
        };
        match word.as_str() {
            "int" | "integer" | "smallint" | "bigint" | "real" | "boolean" => Ok(simple(&word)),
            "double" => {
                self.expect_kw("precision")?;
                Ok(simple("double precision"))
            }
            "float" => {
                let modifiers = self.opt_iconst_modifier()?;
                Ok(TypeName {
                    modifiers,
                    ..simple(&word)
                })
            }
            "decimal" | "dec" | "numeric" => {
                let modifiers = self.opt_modifiers()?;
                Ok(TypeName {
                    modifiers,
                    ..simple(&word)
                })
            }
            "bit" => {
                let name = if self.eat_kw("varying") {
                    "bit varying"
                } else {
                    "bit"
                };
                let modifiers = self.opt_modifiers()?;
                Ok(TypeName {
                    modifiers,
                    ..simple(name)
                })
            }
            "char" | "character" | "varchar" | "national" | "nchar" => self.character_type(&word),
            "timestamp" | "time" => self.datetime_type(&word),
            "interval" => self.interval_type(),
            _ => self.fail(),
        }
    }

    /// `CHARACTER [VARYING] [(n)]` and friends; `word` was just consumed.
    fn character_type(&mut self, word: &str) -> PResult<TypeName> {
        let base = match word {
            "national" => {
                if !self.eat_kw("character") {
                    self.expect_kw("char")?;
                }
                "character"
            }
            "nchar" => "character",
            other => other,
        };
        let name = match base {
            "varchar" => "varchar".to_string(),
            _ if self.eat_kw("varying") => format!("{base} varying"),
            _ => base.to_string(),
        };
        let modifiers = self.opt_iconst_modifier()?;
        Ok(TypeName {
            name,
            modifiers,
            array: false,
        })
    }

    /// `TIMESTAMP|TIME [(p)] [WITH|WITHOUT TIME ZONE]`; `word` was consumed.
    fn datetime_type(&mut self, word: &str) -> PResult<TypeName> {
        let modifiers = self.opt_iconst_modifier()?;
        // WITH counts here only before TIME (PostgreSQL's WITH_LA token).
        let name = if self.is_kw("with") && self.is_kw_at(1, "time") {
            self.expect_kws(&["with", "time", "zone"])?;
            format!("{word} with time zone")
        } else if self.eat_kw("without") {
            self.expect_kws(&["time", "zone"])?;
            format!("{word} without time zone")
        } else {
            word.to_string()
        };
        Ok(TypeName {
            name,
            modifiers,
            array: false,
        })
    }

    /// `INTERVAL [fields] [(p)]` / `INTERVAL (p)`; the word was consumed.
    fn interval_type(&mut self) -> PResult<TypeName> {
        let mut modifiers = self.opt_iconst_modifier()?;
        if modifiers.is_empty() && self.interval_fields()?.is_some() {
            modifiers = self.opt_iconst_modifier()?;
        }
        Ok(TypeName {
            name: "interval".into(),
            modifiers,
            array: false,
        })
    }

    /// `opt_interval`: `YEAR`, `DAY TO SECOND`, ... Returns the field words
    /// as written (lower case, single spaces), or `None`.
    pub(super) fn interval_fields(&mut self) -> PResult<Option<String>> {
        let Some(first) = self.eat_interval_field() else {
            return Ok(None);
        };
        if first == "second" {
            // `SECOND (p)` is handled by the caller's precision.
            return Ok(Some(first));
        }
        if self.eat_kw("to") {
            let Some(last) = self.eat_interval_field() else {
                return self.fail();
            };
            return Ok(Some(format!("{first} to {last}")));
        }
        Ok(Some(first))
    }

    fn eat_interval_field(&mut self) -> Option<String> {
        match self.peek() {
            Tok::Word(w) if INTERVAL_FIELDS.contains(&w.as_str()) => {
                let w = w.clone();
                self.advance();
                Some(w)
            }
            _ => None,
        }
    }

    /// `opt_type_modifiers`: `'(' expr_list ')'` if present. Modifiers must
    /// be integer constants here; anything else parses, then is refused.
    fn opt_modifiers(&mut self) -> PResult<Vec<i64>> {
        if !self.eat(&Tok::LParen) {
            return Ok(Vec::new());
        }
        let pos = self.pos();
        let exprs = self.expr_list()?;
        self.expect(&Tok::RParen)?;
        let mut mods = Vec::with_capacity(exprs.len());
        for e in &exprs {
            match modifier_value(e) {
                Some(v) => mods.push(v),
                None => {
                    let err = Error::sql(
                        SqlState::SYNTAX_ERROR,
                        "type modifiers must be simple constants or identifiers",
                    );
                    self.defer(err.with_position(pos));
                }
            }
        }
        Ok(mods)
    }

    /// `['(' Iconst ')']`: the single precision/length the SQL-standard
    /// types take (`varchar(10)`, `float(24)`, `timestamp(3)`).
    fn opt_iconst_modifier(&mut self) -> PResult<Vec<i64>> {
        if !self.eat(&Tok::LParen) {
            return Ok(Vec::new());
        }
        let n = self.iconst()?;
        self.expect(&Tok::RParen)?;
        Ok(vec![n])
    }

    /// `Iconst`: an unsigned integer constant.
    pub(super) fn iconst(&mut self) -> PResult<i64> {
        let pos = self.pos();
        let Tok::Integer(digits) = self.peek().clone() else {
            return self.fail();
        };
        self.advance();
        match digits.parse::<i64>() {
            Ok(v) => Ok(v),
            Err(_) => self.hard(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{digits}\" is out of range for type integer"),
                pos,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> TypeName {
        let mut p = Parser::new(s);
        let t = p
            .type_name()
            .map_err(|_| s.to_string())
            .expect("type parses");
        assert!(p.is(&Tok::Eof), "{s}: trailing tokens");
        t
    }

    fn t(name: &str, modifiers: &[i64], array: bool) -> TypeName {
        TypeName {
            name: name.into(),
            modifiers: modifiers.to_vec(),
            array,
        }
    }

    #[test]
    fn keyword_types() {
        assert_eq!(ty("INT"), t("int", &[], false));
        assert_eq!(ty("Integer"), t("integer", &[], false));
        assert_eq!(ty("DOUBLE PRECISION"), t("double precision", &[], false));
        assert_eq!(ty("float(24)"), t("float", &[24], false));
        assert_eq!(ty("NUMERIC(12, 2)"), t("numeric", &[12, 2], false));
        assert_eq!(ty("decimal(10,-2)"), t("decimal", &[10, -2], false));
        assert_eq!(ty("numeric(+5)"), t("numeric", &[5], false));
        assert_eq!(
            ty("CHARACTER VARYING(10)"),
            t("character varying", &[10], false)
        );
        assert_eq!(ty("varchar(5)"), t("varchar", &[5], false));
        assert_eq!(ty("char(3)"), t("char", &[3], false));
        assert_eq!(ty("national character(2)"), t("character", &[2], false));
        assert_eq!(ty("timestamp"), t("timestamp", &[], false));
        assert_eq!(
            ty("TIMESTAMP(3) WITH TIME ZONE"),
            t("timestamp with time zone", &[3], false)
        );
        assert_eq!(
            ty("timestamp without time zone"),
            t("timestamp without time zone", &[], false)
        );
        assert_eq!(ty("interval day to second(3)"), t("interval", &[3], false));
        assert_eq!(ty("bit varying(8)"), t("bit varying", &[8], false));
    }

    #[test]
    fn generic_and_array_types() {
        assert_eq!(ty("text"), t("text", &[], false));
        assert_eq!(ty("pg_catalog.regclass"), t("regclass", &[], false));
        assert_eq!(ty("TIMESTAMPTZ"), t("timestamptz", &[], false));
        assert_eq!(ty("\"MyType\""), t("MyType", &[], false));
        assert_eq!(ty("text[]"), t("text", &[], true));
        assert_eq!(ty("int[3][]"), t("int", &[], true));
        assert_eq!(ty("integer ARRAY"), t("integer", &[], true));
        assert_eq!(ty("serial"), t("serial", &[], false));
    }
}

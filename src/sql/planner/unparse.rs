//! SQL text from an AST expression: how DEFAULT expressions are stored in
//! the catalog (and shown by tools), re-parsed when a default is used.
//! Parenthesizes every compound sub-expression, so the text always parses
//! back to the same tree.

use crate::sql::parser::ast::{self, Expr, Literal, UnaryOp};

/// The expression as SQL text.
pub fn expr_to_sql(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(e, &mut out);
    out
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn quote_ident(s: &str) -> String {
    let plain = s
        .chars()
        .enumerate()
        .all(|(i, c)| c == '_' || c.is_ascii_lowercase() || (i > 0 && c.is_ascii_digit()))
        && !s.is_empty();
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn name(n: &ast::ObjectName) -> String {
    n.0.iter()
        .map(|i| quote_ident(&i.name))
        .collect::<Vec<_>>()
        .join(".")
}

fn type_name(t: &ast::TypeName) -> String {
    let mut s = t.name.clone();
    if !t.modifiers.is_empty() {
        let m: Vec<String> = t.modifiers.iter().map(i64::to_string).collect();
        s = format!("{s}({})", m.join(","));
    }
    if t.array {
        s.push_str("[]");
    }
    s
}

fn list(es: &[Expr], out: &mut String) {
    for (i, e) in es.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(e, out);
    }
}

fn paren(e: &Expr, out: &mut String) {
    out.push('(');
    write_expr(e, out);
    out.push(')');
}

fn write_expr(e: &Expr, out: &mut String) {
    match e {
        Expr::Literal(Literal::Null) => out.push_str("NULL"),
        Expr::Literal(Literal::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Literal(Literal::Integer(s) | Literal::Decimal(s)) => out.push_str(s),
        Expr::Literal(Literal::String(s)) => out.push_str(&quote_literal(s)),
        Expr::Column(n) => out.push_str(&name(n)),
        Expr::Parameter { index, .. } => out.push_str(&format!("${index}")),
        Expr::Unary { op, expr } => {
            out.push_str(match op {
                UnaryOp::Minus => "-",
                UnaryOp::Plus => "+",
                UnaryOp::Not => "NOT ",
                UnaryOp::BitNot => "~",
            });
            paren(expr, out);
        }
        Expr::Binary {
            op, left, right, ..
        } => {
            paren(left, out);
            out.push_str(&format!(" {} ", op.symbol()));
            paren(right, out);
        }
        Expr::IsNull { expr, negated } => {
            paren(expr, out);
            out.push_str(if *negated { " IS NOT NULL" } else { " IS NULL" });
        }
        Expr::IsBool {
            expr,
            value,
            negated,
        } => {
            paren(expr, out);
            out.push_str(if *negated { " IS NOT " } else { " IS " });
            out.push_str(match value {
                Some(true) => "TRUE",
                Some(false) => "FALSE",
                None => "UNKNOWN",
            });
        }
        Expr::IsDistinctFrom {
            left,
            right,
            negated,
        } => {
            paren(left, out);
            out.push_str(if *negated {
                " IS NOT DISTINCT FROM "
            } else {
                " IS DISTINCT FROM "
            });
            paren(right, out);
        }
        Expr::Like {
            expr,
            pattern,
            escape,
            negated,
            case_insensitive,
        } => {
            paren(expr, out);
            out.push_str(if *negated { " NOT" } else { "" });
            out.push_str(if *case_insensitive {
                " ILIKE "
            } else {
                " LIKE "
            });
            paren(pattern, out);
            if let Some(esc) = escape {
                out.push_str(" ESCAPE ");
                paren(esc, out);
            }
        }
        Expr::InList {
            expr,
            list: items,
            negated,
        } => {
            paren(expr, out);
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            list(items, out);
            out.push(')');
        }
        Expr::Between {
            expr,
            low,
            high,
            negated,
            symmetric,
        } => {
            paren(expr, out);
            out.push_str(if *negated {
                " NOT BETWEEN "
            } else {
                " BETWEEN "
            });
            if *symmetric {
                out.push_str("SYMMETRIC ");
            }
            paren(low, out);
            out.push_str(" AND ");
            paren(high, out);
        }
        Expr::Cast { expr, ty, .. } => {
            out.push_str("CAST(");
            write_expr(expr, out);
            out.push_str(&format!(" AS {})", type_name(ty)));
        }
        Expr::TypedString { ty, value, .. } => {
            out.push_str(&format!("{} {}", type_name(ty), quote_literal(value)));
        }
        Expr::Function(f) => {
            out.push_str(&name(&f.name));
            out.push('(');
            if f.distinct {
                out.push_str("DISTINCT ");
            }
            if f.star {
                out.push('*');
            }
            list(&f.args, out);
            out.push(')');
        }
        Expr::Case {
            operand,
            whens,
            else_result,
        } => {
            out.push_str("CASE");
            if let Some(o) = operand {
                out.push(' ');
                paren(o, out);
            }
            for (c, r) in whens {
                out.push_str(" WHEN ");
                paren(c, out);
                out.push_str(" THEN ");
                paren(r, out);
            }
            if let Some(e) = else_result {
                out.push_str(" ELSE ");
                paren(e, out);
            }
            out.push_str(" END");
        }
        Expr::Row(items) => {
            out.push_str("ROW(");
            list(items, out);
            out.push(')');
        }
        Expr::Default => out.push_str("DEFAULT"),
        Expr::Collate { expr, collation } => {
            paren(expr, out);
            out.push_str(&format!(" COLLATE {}", name(collation)));
        }
        // Subqueries and arrays cannot appear in a DEFAULT (the planner
        // rejects them before storing); render something parseable anyway.
        Expr::Subquery(_)
        | Expr::Exists { .. }
        | Expr::InSubquery { .. }
        | Expr::AnyAll { .. }
        | Expr::Array { .. }
        | Expr::Subscript { .. } => out.push_str("NULL"),
    }
}

//! Test support: prints expressions back as fully parenthesized SQL, so tests
//! can assert a tree's shape in one readable line (`-2^2` → `((-2) ^ 2)`).
//! The output is valid PostgreSQL, which lets precedence be checked against
//! a real server (`SELECT e IS NOT DISTINCT FROM <printed e>`).

use super::ast::{
    Expr, FrameBound, FunctionCall, Literal, ObjectName, OrderByItem, TypeName, UnaryOp, WindowSpec,
};

/// The expression as fully parenthesized SQL.
pub(super) fn show(e: &Expr) -> String {
    match e {
        Expr::Literal(l) => literal(l),
        Expr::Column(n) => name(n),
        Expr::Parameter { index, .. } => format!("${index}"),
        Expr::Unary { op, expr } => {
            let op = match op {
                UnaryOp::Minus => "-",
                UnaryOp::Plus => "+",
                UnaryOp::Not => "NOT ",
                UnaryOp::BitNot => "~",
            };
            format!("({op}{})", show(expr))
        }
        Expr::Binary {
            op, left, right, ..
        } => format!("({} {} {})", show(left), op.symbol(), show(right)),
        Expr::IsNull { expr, negated } => format!("({} IS {}NULL)", show(expr), not(*negated)),
        Expr::IsBool {
            expr,
            value,
            negated,
        } => {
            let v = match value {
                Some(true) => "TRUE",
                Some(false) => "FALSE",
                None => "UNKNOWN",
            };
            format!("({} IS {}{v})", show(expr), not(*negated))
        }
        Expr::IsDistinctFrom {
            left,
            right,
            negated,
        } => format!(
            "({} IS {}DISTINCT FROM {})",
            show(left),
            not(*negated),
            show(right)
        ),
        Expr::Like {
            expr,
            pattern,
            escape,
            negated,
            case_insensitive,
        } => {
            let op = if *case_insensitive { "ILIKE" } else { "LIKE" };
            let esc = escape
                .as_ref()
                .map(|e| format!(" ESCAPE {}", show(e)))
                .unwrap_or_default();
            format!(
                "({} {}{op} {}{esc})",
                show(expr),
                not(*negated),
                show(pattern)
            )
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => format!("({} {}IN ({}))", show(expr), not(*negated), list_of(list)),
        Expr::InSubquery { expr, negated, .. } => {
            format!("({} {}IN (<query>))", show(expr), not(*negated))
        }
        Expr::Between {
            expr,
            low,
            high,
            negated,
            symmetric,
        } => format!(
            "({} {}BETWEEN {}{} AND {})",
            show(expr),
            not(*negated),
            if *symmetric { "SYMMETRIC " } else { "" },
            show(low),
            show(high)
        ),
        Expr::AnyAll {
            left,
            op,
            all,
            right,
        } => format!(
            "({} {} {} ({}))",
            show(left),
            op.symbol(),
            if *all { "ALL" } else { "ANY" },
            show(right)
        ),
        Expr::Cast { expr, ty, .. } => format!("CAST({} AS {})", show(expr), type_name(ty)),
        Expr::TypedString { ty, value, .. } => format!("{} {}", type_name(ty), quote(value)),
        Expr::Function(f) => function(f),
        Expr::Case {
            operand,
            whens,
            else_result,
        } => {
            let mut s = String::from("CASE");
            if let Some(o) = operand {
                s += &format!(" {}", show(o));
            }
            for (w, t) in whens {
                s += &format!(" WHEN {} THEN {}", show(w), show(t));
            }
            if let Some(e) = else_result {
                s += &format!(" ELSE {}", show(e));
            }
            s + " END"
        }
        Expr::Subquery(_) => "(<query>)".into(),
        Expr::Exists { negated, .. } => format!("{}EXISTS (<query>)", not(*negated)),
        Expr::Array { elements, subquery } => {
            if *subquery {
                "ARRAY(<query>)".into()
            } else {
                format!("ARRAY[{}]", list_of(elements))
            }
        }
        Expr::Subscript { expr, index } => format!("{}[{}]", show(expr), show(index)),
        Expr::Row(items) => format!("ROW({})", list_of(items)),
        Expr::Default => "DEFAULT".into(),
        Expr::Collate { expr, collation } => {
            format!("({} COLLATE {})", show(expr), name(collation))
        }
    }
}

fn not(negated: bool) -> &'static str {
    if negated { "NOT " } else { "" }
}

fn list_of(items: &[Expr]) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(", ")
}

fn literal(l: &Literal) -> String {
    match l {
        Literal::Null => "NULL".into(),
        Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Integer(s) | Literal::Decimal(s) => s.clone(),
        Literal::String(s) => quote(s),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A name, quoted where it would not read back as itself.
fn name(n: &ObjectName) -> String {
    n.0.iter()
        .map(|i| {
            let plain = i.name == "*"
                || i.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if plain {
                i.name.clone()
            } else {
                format!("\"{}\"", i.name.replace('"', "\"\""))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A type name with modifiers and array marker.
pub(super) fn type_name(t: &TypeName) -> String {
    let mut s = t.name.clone();
    if !t.modifiers.is_empty() {
        let mods: Vec<String> = t.modifiers.iter().map(i64::to_string).collect();
        // `timestamp with time zone(3)` is not SQL: the precision goes after the first word.
        match s.split_once(' ') {
            Some((first, rest)) if first == "timestamp" || first == "time" => {
                s = format!("{first}({}) {rest}", mods.join(", "));
            }
            _ => s += &format!("({})", mods.join(", ")),
        }
    }
    if t.array {
        s += "[]";
    }
    s
}

fn order_items(items: &[OrderByItem]) -> String {
    items
        .iter()
        .map(|o| {
            let mut s = show(&o.expr);
            if o.desc {
                s += " DESC";
            }
            match o.nulls_first {
                Some(true) => s += " NULLS FIRST",
                Some(false) => s += " NULLS LAST",
                None => {}
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn function(f: &FunctionCall) -> String {
    let mut args = if f.star {
        "*".to_string()
    } else {
        list_of(&f.args)
    };
    if f.distinct {
        args = format!("DISTINCT {args}");
    }
    if !f.order_by.is_empty() {
        args += &format!(" ORDER BY {}", order_items(&f.order_by));
    }
    let mut s = format!("{}({args})", name(&f.name));
    if let Some(filter) = &f.filter {
        s += &format!(" FILTER (WHERE {})", show(filter));
    }
    if let Some(w) = &f.over {
        s += &format!(" OVER ({})", window(w));
    }
    s
}

fn window(w: &WindowSpec) -> String {
    let mut parts = Vec::new();
    if !w.partition_by.is_empty() {
        parts.push(format!("PARTITION BY {}", list_of(&w.partition_by)));
    }
    if !w.order_by.is_empty() {
        parts.push(format!("ORDER BY {}", order_items(&w.order_by)));
    }
    if let Some(f) = &w.frame {
        let bound = |b: &FrameBound| match b {
            FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
            FrameBound::Preceding(e) => format!("{} PRECEDING", show(e)),
            FrameBound::CurrentRow => "CURRENT ROW".to_string(),
            FrameBound::Following(e) => format!("{} FOLLOWING", show(e)),
            FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
        };
        let units = format!("{:?}", f.units).to_uppercase();
        parts.push(format!(
            "{units} BETWEEN {} AND {}",
            bound(&f.start),
            bound(&f.end)
        ));
    }
    parts.join(" ")
}

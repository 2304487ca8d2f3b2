//! EXPLAIN output: the plan tree as indented text lines, in PostgreSQL's
//! spirit (`->` for children), with the access path each scan takes.

use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::{KeyAccess, Node, Plan, Scan, TimeBound, TimeSelect};

/// Renders a plan.
pub fn render(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    match plan {
        Plan::Query { root, .. } => node(root, 0, &mut out),
        Plan::Insert(p) => {
            out.push(format!("Insert on {}", p.table.name()));
            node(&p.source, 1, &mut out);
        }
        Plan::Update(p) => {
            out.push(format!("Update on {}", p.table.name()));
            scan(&p.scan, 1, &mut out);
        }
        Plan::Delete(p) => {
            out.push(format!("Delete on {}", p.table.name()));
            scan(&p.scan, 1, &mut out);
        }
        Plan::CreateTable { schema, .. } => out.push(format!("Create Table {}", schema.name)),
        Plan::CreateIndex(p) => out.push(format!(
            "Create Index {}on {}",
            p.name.as_ref().map_or(String::new(), |n| format!("{n} ")),
            p.table.name()
        )),
        Plan::DropIndex { names, .. } => out.push(format!("Drop Index {}", names.join(", "))),
        Plan::CreateView { schema, .. } => out.push(format!("Create View {}", schema.name)),
        Plan::DropTable { tables, views, .. } => {
            let names: Vec<&str> = tables.iter().map(|t| t.name()).collect();
            let what = if *views { "View" } else { "Table" };
            out.push(format!("Drop {what} {}", names.join(", ")));
        }
        Plan::Truncate(tables) => {
            let names: Vec<&str> = tables.iter().map(|t| t.name()).collect();
            out.push(format!("Truncate {}", names.join(", ")));
        }
        Plan::Explain(lines) => out.extend(lines.iter().cloned()),
    }
    out
}

fn push(out: &mut Vec<String>, depth: usize, text: String) {
    if depth == 0 {
        out.push(text);
    } else {
        out.push(format!("{}->  {}", "      ".repeat(depth - 1), text));
    }
}

fn detail(out: &mut Vec<String>, depth: usize, text: String) {
    let indent = if depth == 0 { 2 } else { 6 * (depth - 1) + 6 };
    out.push(format!("{}{}", " ".repeat(indent), text));
}

fn node(n: &Node, depth: usize, out: &mut Vec<String>) {
    match n {
        Node::Scan(s) => scan(s, depth, out),
        Node::Values { rows, .. } => push(out, depth, format!("Values ({} rows)", rows.len())),
        Node::Filter { input, predicate } => {
            push(out, depth, "Filter".into());
            detail(out, depth, format!("Filter: {}", expr(predicate)));
            node(input, depth + 1, out);
        }
        Node::ProjectSet { input, calls } => {
            push(out, depth, "ProjectSet".into());
            let list: Vec<String> = calls
                .iter()
                .map(|c| {
                    let args: Vec<String> = c.args.iter().map(expr).collect();
                    format!("{}({})", c.func.name(), args.join(", "))
                })
                .collect();
            detail(out, depth, format!("Output: {}", list.join(", ")));
            node(input, depth + 1, out);
        }
        Node::Project { input, exprs } => {
            push(out, depth, "Project".into());
            let list: Vec<String> = exprs.iter().map(expr).collect();
            detail(out, depth, format!("Output: {}", list.join(", ")));
            node(input, depth + 1, out);
        }
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            push(
                out,
                depth,
                if group_by.is_empty() {
                    "Aggregate".into()
                } else {
                    "HashAggregate".into()
                },
            );
            if !group_by.is_empty() {
                let list: Vec<String> = group_by.iter().map(expr).collect();
                detail(out, depth, format!("Group Key: {}", list.join(", ")));
            }
            let aggs: Vec<String> = aggregates
                .iter()
                .map(|a| {
                    let args: Vec<String> = a.args.iter().map(expr).collect();
                    format!(
                        "{}({})",
                        a.func.name(),
                        if args.is_empty() {
                            "*".into()
                        } else {
                            args.join(", ")
                        }
                    )
                })
                .collect();
            detail(out, depth, format!("Aggregates: {}", aggs.join(", ")));
            node(input, depth + 1, out);
        }
        Node::Sort { input, keys } => {
            push(out, depth, "Sort".into());
            let list: Vec<String> = keys
                .iter()
                .map(|k| format!("{}{}", expr(&k.expr), if k.desc { " DESC" } else { "" }))
                .collect();
            detail(out, depth, format!("Sort Key: {}", list.join(", ")));
            node(input, depth + 1, out);
        }
        Node::Limit { input, .. } => {
            push(out, depth, "Limit".into());
            node(input, depth + 1, out);
        }
        Node::Distinct { input, .. } => {
            push(out, depth, "Unique".into());
            node(input, depth + 1, out);
        }
        Node::Join {
            left,
            right,
            kind,
            on,
            equi,
        } => {
            let method = if equi.is_empty() {
                "Nested Loop"
            } else {
                "Hash Join"
            };
            push(out, depth, format!("{method} ({kind:?})"));
            if let Some(c) = on {
                detail(out, depth, format!("Join Filter: {}", expr(c)));
            }
            node(left, depth + 1, out);
            node(right, depth + 1, out);
        }
        Node::SetOp {
            kind,
            all,
            left,
            right,
        } => {
            push(
                out,
                depth,
                format!("{kind:?}{}", if *all { " All" } else { "" }),
            );
            node(left, depth + 1, out);
            node(right, depth + 1, out);
        }
        Node::Materialized(inner, _) => {
            push(out, depth, "CTE Scan".into());
            node(inner, depth + 1, out);
        }
    }
}

fn scan(s: &Scan, depth: usize, out: &mut Vec<String>) {
    let method = match &s.access {
        KeyAccess::Full => "Seq Scan".to_string(),
        KeyAccess::Primary(_) => match &s.table.schema.pkey_name {
            Some(name) => format!("Index Scan using {name}"),
            None => "Index Scan".to_string(),
        },
        KeyAccess::Index { index, .. } => format!("Index Scan using {}", index.name),
    };
    let time = match &s.time {
        TimeSelect::Current => String::new(),
        TimeSelect::AsOf(b) => format!(" FOR SYSTEM_TIME AS OF {}", bound(b)),
        TimeSelect::FromTo(a, b) => format!(" FOR SYSTEM_TIME FROM {} TO {}", bound(a), bound(b)),
        TimeSelect::Between(a, b) => {
            format!(" FOR SYSTEM_TIME BETWEEN {} AND {}", bound(a), bound(b))
        }
        TimeSelect::All => " FOR SYSTEM_TIME ALL".into(),
    };
    push(out, depth, format!("{method} on {}{time}", s.table.name()));
    let names: Vec<&str> = s
        .table
        .schema
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let shown = |e: &Expr| named(e, &names);
    let mut used: &[Expr] = &[];
    if let KeyAccess::Primary(l) | KeyAccess::Index { lookup: l, .. } = &s.access {
        used = &l.conds;
        let conds: Vec<String> = l.conds.iter().map(shown).collect();
        let cond = if conds.len() == 1 {
            conds.join("")
        } else {
            format!("({})", conds.join(" AND "))
        };
        detail(out, depth, format!("Index Cond: {cond}"));
    }
    if let Some(f) = &s.filter {
        let rest: Vec<Expr> = f
            .clone()
            .conjuncts()
            .into_iter()
            .filter(|c| !used.contains(c))
            .collect();
        if let Some(rest) = Expr::and_all(rest) {
            detail(out, depth, format!("Filter: {}", shown(&rest)));
        }
    }
}

fn bound(b: &TimeBound) -> String {
    match b {
        TimeBound::Seq(n) => format!("@SEQ:{n}"),
        TimeBound::Time(e) => expr(e),
    }
}

/// A compact rendering of a bound expression (`#n` is input column n).
pub fn expr(e: &Expr) -> String {
    named(e, &[])
}

/// [`expr`] with input columns shown by name where `names` has one (a
/// scan's conditions, as PostgreSQL shows them).
fn named(e: &Expr, names: &[&str]) -> String {
    let expr = |e: &Expr| named(e, names);
    match e {
        Expr::Const(v, _) => match v {
            crate::types::Value::Null => "NULL".into(),
            crate::types::Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
            v => v.to_text(&crate::types::TypeContext::default()),
        },
        Expr::Column(i, _) => match names.get(*i) {
            Some(n) => crate::sql::system::index::quote_ident(n),
            None => format!("#{i}"),
        },
        Expr::Outer { depth, index, .. } => format!("outer{depth}.#{index}"),
        Expr::Param(i, _) => format!("${}", i + 1),
        Expr::Not(x) => format!("NOT ({})", expr(x)),
        Expr::And(a, b) => format!("({} AND {})", expr(a), expr(b)),
        Expr::Or(a, b) => format!("({} OR {})", expr(a), expr(b)),
        Expr::Compare(op, a, b) => format!("({} {} {})", expr(a), op.symbol(), expr(b)),
        Expr::Arith(op, a, b, _) => format!("({} {:?} {})", expr(a), op, expr(b)),
        Expr::Negate(x, _) => format!("-({})", expr(x)),
        Expr::Concat(a, b) => format!("({} || {})", expr(a), expr(b)),
        Expr::IsNull(x, n) => format!("({} IS {}NULL)", expr(x), if *n { "NOT " } else { "" }),
        Expr::Cast(x, t) => format!("({})::{}", expr(x), t.format_type()),
        Expr::Call { func, args, .. } => {
            let list: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", func.name, list.join(", "))
        }
        Expr::InList {
            expr: x,
            list,
            negated,
        } => {
            let items: Vec<String> = list.iter().map(expr).collect();
            format!(
                "({} {}IN ({}))",
                expr(x),
                if *negated { "NOT " } else { "" },
                items.join(", ")
            )
        }
        Expr::Subquery(..) => "(SubPlan)".into(),
        other => format!("{other:?}").chars().take(60).collect(),
    }
}

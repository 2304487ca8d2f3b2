//! Result column names, chosen as PostgreSQL's FigureColname does: a column
//! reference gives its name, a function call its function's name, a cast
//! the name of what it casts (or the type's name), CASE `case`, and anything
//! else `?column?`.

use crate::sql::parser::ast;

/// The output name of an unaliased select-list expression.
pub fn column_name(e: &ast::Expr) -> String {
    figure(e).unwrap_or_else(|| "?column?".to_string())
}

fn figure(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Column(n) => Some(n.base().name.clone()),
        ast::Expr::Function(f) => Some(f.name.base().name.clone()),
        ast::Expr::Cast { expr, ty, .. } => figure(expr).or_else(|| Some(type_label(ty))),
        ast::Expr::TypedString { ty, .. } => Some(type_label(ty)),
        ast::Expr::Case { .. } => Some("case".into()),
        ast::Expr::Exists { .. } => Some("exists".into()),
        ast::Expr::Array { .. } => Some("array".into()),
        ast::Expr::Row(_) => Some("row".into()),
        ast::Expr::Subquery(q) => subquery_name(q),
        ast::Expr::Collate { expr, .. } => figure(expr),
        _ => None,
    }
}

/// The name PostgreSQL gives a cast to `ty` when nothing better is known:
/// the type's internal name (`int4`, `varchar`, `timestamptz`...).
fn type_label(ty: &ast::TypeName) -> String {
    match crate::types::DataType::from_name(&ty.name, &ty.modifiers) {
        Ok(t) => t.typname().to_string(),
        Err(_) => ty.name.clone(),
    }
}

fn subquery_name(q: &ast::Query) -> Option<String> {
    match &q.body {
        ast::QueryBody::Select(s) => match s.items.first()? {
            ast::SelectItem::Expr { alias: Some(a), .. } => Some(a.name.clone()),
            ast::SelectItem::Expr { expr, .. } => figure(expr),
            _ => None,
        },
        _ => None,
    }
}

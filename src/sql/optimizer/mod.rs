//! The optimizer: an ordered list of rule-based passes, each `Plan → Plan`.
//!
//! 1. [`fold`]: constant folding of operators over constants.
//! 2. [`pushdown`]: filters move into scans and below joins; key
//!    predicates choose each scan's access path ([`access`]: a primary-key
//!    or secondary-index lookup); equality conditions between the two sides
//!    of a join become hash-join keys.
//!
//! The cost-based optimizer with join reordering comes in a later issue and
//! slots in as further passes.

pub mod access;
pub mod fold;
pub mod pushdown;

use crate::error::Result;
use crate::sql::planner::plan::{Node, Plan};

/// Runs every pass over a plan.
pub fn optimize(plan: Plan) -> Result<Plan> {
    Ok(match plan {
        Plan::Query { root, columns } => Plan::Query {
            root: optimize_node(root)?,
            columns,
        },
        Plan::Insert(mut p) => {
            p.source = optimize_node(p.source)?;
            Plan::Insert(p)
        }
        Plan::Update(mut p) => {
            access::choose_access(&mut p.scan);
            Plan::Update(p)
        }
        Plan::Delete(mut p) => {
            access::choose_access(&mut p.scan);
            Plan::Delete(p)
        }
        other => other,
    })
}

/// Runs every pass over a query tree.
pub fn optimize_node(node: Node) -> Result<Node> {
    let node = fold::fold_node(node);
    Ok(pushdown::pushdown(node))
}

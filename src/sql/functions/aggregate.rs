//! Aggregate functions: typing ([`AggFunc::resolve`]) and running state
//! ([`Accumulator`]).
//!
//! Result types follow PostgreSQL: `count` is bigint, `sum` of int2/int4 is
//! bigint and of int8 or numeric is numeric, `avg` of integers or numeric is
//! numeric and of floats is double precision, `min`/`max` keep their type.

use std::collections::HashSet;

use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::ops::{self, ArithOp};
use crate::types::{DataType, TypeContext, Value};

/// Which aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// count(*)
    CountStar,
    /// count(x)
    Count,
    /// sum(x)
    Sum,
    /// avg(x)
    Avg,
    /// min(x)
    Min,
    /// max(x)
    Max,
    /// bool_and(x) / every(x)
    BoolAnd,
    /// bool_or(x)
    BoolOr,
    /// string_agg(x, delimiter [ORDER BY k1, k2...]): the ORDER BY keys
    /// follow the delimiter in the arguments; bit i of `desc` makes key i
    /// descending.
    StringAgg {
        /// Descending keys, as a bit mask.
        desc: u32,
    },
    /// array_agg(x [ORDER BY k1, k2...]): the ORDER BY keys follow `x` in
    /// the arguments; bit i of `desc` makes key i descending.
    ArrayAgg {
        /// Descending keys, as a bit mask.
        desc: u32,
    },
}

const NUMERIC: DataType = DataType::Numeric {
    precision: None,
    scale: None,
};

impl AggFunc {
    /// The aggregate called `name`, if it is one.
    pub fn from_name(name: &str) -> Option<AggFunc> {
        Some(match name {
            "count" => AggFunc::Count,
            "sum" => AggFunc::Sum,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "bool_and" | "every" => AggFunc::BoolAnd,
            "bool_or" => AggFunc::BoolOr,
            "string_agg" => AggFunc::StringAgg { desc: 0 },
            "array_agg" => AggFunc::ArrayAgg { desc: 0 },
            _ => return None,
        })
    }

    /// The SQL name (for messages and column names).
    pub fn name(&self) -> &'static str {
        match self {
            AggFunc::CountStar | AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
            AggFunc::StringAgg { .. } => "string_agg",
            AggFunc::ArrayAgg { .. } => "array_agg",
        }
    }

    /// The argument types to coerce to and the result type, given the
    /// argument types; 42883 when the aggregate does not take them.
    pub fn resolve(&self, args: &[DataType]) -> Result<(Vec<DataType>, DataType)> {
        let arg = args.first().copied().unwrap_or(DataType::Unknown);
        let ok = match (self, args.len()) {
            (AggFunc::CountStar, 0) => Some((vec![], DataType::Int8)),
            (AggFunc::Count, 1) => Some((vec![arg], DataType::Int8)),
            (AggFunc::Sum, 1) => match arg {
                DataType::Int2 | DataType::Int4 => Some((vec![arg], DataType::Int8)),
                DataType::Int8 | DataType::Numeric { .. } | DataType::Unknown => {
                    Some((vec![NUMERIC], NUMERIC))
                }
                DataType::Float4 | DataType::Float8 => Some((vec![arg], arg)),
                _ => None,
            },
            (AggFunc::Avg, 1) => match arg {
                DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Numeric { .. } => {
                    Some((vec![NUMERIC], NUMERIC))
                }
                DataType::Unknown => Some((vec![NUMERIC], NUMERIC)),
                DataType::Float4 | DataType::Float8 => {
                    Some((vec![DataType::Float8], DataType::Float8))
                }
                _ => None,
            },
            (AggFunc::Min | AggFunc::Max, 1) => match arg {
                DataType::Unknown => Some((vec![DataType::Text], DataType::Text)),
                DataType::Json => None,
                t => Some((vec![t], t)),
            },
            (AggFunc::BoolAnd | AggFunc::BoolOr, 1)
                if matches!(arg, DataType::Bool | DataType::Unknown) =>
            {
                Some((vec![DataType::Bool], DataType::Bool))
            }
            (AggFunc::StringAgg { .. }, 2) if arg.is_string() && args[1].is_string() => {
                Some((vec![DataType::Text, DataType::Text], DataType::Text))
            }
            (AggFunc::ArrayAgg { .. }, 1) => {
                let elem = if arg == DataType::Unknown {
                    DataType::Text
                } else {
                    arg
                };
                elem.array_of().ok().map(|a| (vec![elem], a))
            }
            _ => None,
        };
        ok.ok_or_else(|| {
            let list: Vec<String> = args.iter().map(|t| t.format_type()).collect();
            sql_err!(
                SqlState::UNDEFINED_FUNCTION,
                "function {}({}) does not exist",
                self.name(),
                list.join(", ")
            )
        })
    }
}

/// The running state of one aggregate over one group.
#[derive(Debug, Clone)]
pub struct Accumulator {
    func: AggFunc,
    result_ty: DataType,
    /// count, or the number of non-NULL inputs (for avg)
    count: i64,
    /// sum / min / max / bool / string so far (NULL until the first input)
    acc: Value,
    /// Values seen, for DISTINCT aggregates.
    seen: Option<HashSet<Vec<Value>>>,
    /// array_agg's inputs: the value, then its ORDER BY keys.
    items: Vec<Vec<Value>>,
}

impl Accumulator {
    /// A fresh accumulator.
    pub fn new(func: AggFunc, result_ty: DataType, distinct: bool) -> Accumulator {
        Accumulator {
            func,
            result_ty,
            count: 0,
            acc: Value::Null,
            seen: distinct.then(HashSet::new),
            items: Vec::new(),
        }
    }

    /// Feeds one input row's arguments.
    pub fn update(&mut self, args: &[Value]) -> Result<()> {
        if self.func == AggFunc::CountStar {
            self.count += 1;
            return Ok(());
        }
        let Some(v) = args.first() else {
            return Err(Error::Internal("aggregate without argument".into()));
        };
        if let AggFunc::ArrayAgg { .. } = self.func {
            // array_agg keeps NULLs.
            if let Some(seen) = &mut self.seen
                && !seen.insert(vec![v.clone()])
            {
                return Ok(());
            }
            self.items.push(args.to_vec());
            return Ok(());
        }
        if v.is_null() {
            return Ok(());
        }
        if let Some(seen) = &mut self.seen
            && !seen.insert(args.to_vec())
        {
            return Ok(());
        }
        self.count += 1;
        if let AggFunc::StringAgg { .. } = self.func {
            if args.len() > 2 {
                // With ORDER BY: sorted at the end.
                self.items.push(args.to_vec());
            } else {
                self.append(v, args.get(1));
            }
            return Ok(());
        }
        self.acc = match self.func {
            AggFunc::CountStar | AggFunc::Count => Value::Null,
            AggFunc::Sum | AggFunc::Avg => self.add(v)?,
            AggFunc::Min => self.pick(v, std::cmp::Ordering::Less)?,
            AggFunc::Max => self.pick(v, std::cmp::Ordering::Greater)?,
            AggFunc::BoolAnd => bool_fold(&self.acc, v, |a, b| a && b),
            AggFunc::BoolOr => bool_fold(&self.acc, v, |a, b| a || b),
            AggFunc::StringAgg { .. } => Value::Null,
            AggFunc::ArrayAgg { .. } => Value::Null,
        };
        Ok(())
    }

    fn add(&self, v: &Value) -> Result<Value> {
        // Sum in the result type (int8 for int2/int4, numeric for int8) so
        // the running total cannot overflow the input type.
        let v = match (&self.result_ty, self.func) {
            (DataType::Int8, _) => Value::Int8(match v {
                Value::Int2(i) => *i as i64,
                Value::Int4(i) => *i as i64,
                Value::Int8(i) => *i,
                other => return Err(Error::Internal(format!("sum of {other:?}"))),
            }),
            _ => v.clone(),
        };
        if self.acc.is_null() {
            return Ok(v);
        }
        ops::arith(ArithOp::Add, &self.acc, &v).map_err(|e| match e.sqlstate() {
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE => {
                sql_err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range")
            }
            _ => e,
        })
    }

    fn pick(&self, v: &Value, want: std::cmp::Ordering) -> Result<Value> {
        if self.acc.is_null() || ops::sort_cmp(v, &self.acc) == want {
            Ok(v.clone())
        } else {
            Ok(self.acc.clone())
        }
    }

    /// Appends `v` (after `delim`, unless it is the first value).
    fn append(&mut self, v: &Value, delim: Option<&Value>) {
        let s = match v {
            Value::Text(s) => s.as_str(),
            _ => "",
        };
        match &mut self.acc {
            Value::Text(prev) => {
                if let Some(Value::Text(d)) = delim {
                    prev.push_str(d);
                }
                prev.push_str(s);
            }
            acc => *acc = Value::Text(s.to_string()),
        }
    }

    /// The aggregate's value for the group.
    pub fn finish(&self, ctx: &TypeContext) -> Result<Value> {
        match self.func {
            AggFunc::CountStar | AggFunc::Count => Ok(Value::Int8(self.count)),
            AggFunc::Avg => {
                if self.count == 0 {
                    return Ok(Value::Null);
                }
                let n = crate::types::cast::cast(Value::Int8(self.count), &self.result_ty, ctx)?;
                ops::arith(ArithOp::Div, &self.acc, &n)
            }
            AggFunc::ArrayAgg { desc } => Ok(self.array(desc, ctx)),
            AggFunc::StringAgg { desc } if !self.items.is_empty() => Ok(self.joined(desc)),
            _ => Ok(self.acc.clone()),
        }
    }

    /// array_agg's result: the values in ORDER BY order (ascending keys
    /// put NULLs last, descending first, as PostgreSQL's defaults); NULL
    /// when there were none.
    fn array(&self, desc: u32, ctx: &TypeContext) -> Value {
        if self.items.is_empty() {
            return Value::Null;
        }
        let values: Vec<Value> = self.ordered(desc, 1).iter().map(|r| r[0].clone()).collect();
        Value::Text(crate::types::array::build(&values, 0, ctx))
    }

    /// string_agg's result with ORDER BY: the values in key order, each
    /// after its own delimiter but the first.
    fn joined(&self, desc: u32) -> Value {
        let mut out = String::new();
        for (i, item) in self.ordered(desc, 2).into_iter().enumerate() {
            if i > 0
                && let Some(Value::Text(d)) = item.get(1)
            {
                out.push_str(d);
            }
            if let Some(Value::Text(v)) = item.first() {
                out.push_str(v);
            }
        }
        Value::Text(out)
    }

    /// The items in ORDER BY order: their keys start at `first_key`;
    /// ascending keys put NULLs last, descending first, as PostgreSQL's
    /// defaults.
    fn ordered(&self, desc: u32, first_key: usize) -> Vec<&Vec<Value>> {
        let mut items: Vec<&Vec<Value>> = self.items.iter().collect();
        items.sort_by(|a, b| {
            for (i, (x, y)) in a.iter().zip(b.iter()).enumerate().skip(first_key) {
                let descending = desc & (1 << ((i - first_key) % 32)) != 0;
                let o = match (x.is_null(), y.is_null()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ => ops::sort_cmp(x, y),
                };
                let o = if descending { o.reverse() } else { o };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        items
    }
}

fn bool_fold(acc: &Value, v: &Value, f: fn(bool, bool) -> bool) -> Value {
    match (acc, v) {
        (Value::Bool(a), Value::Bool(b)) => Value::Bool(f(*a, *b)),
        (_, Value::Bool(b)) => Value::Bool(*b),
        _ => acc.clone(),
    }
}

//! [`Backend`]: what the wire layer needs from whatever runs the SQL.
//!
//! The trait mirrors [`Session`] method for method, so the wire layer can be
//! written and tested against a scripted backend while the SQL layer is built,
//! and so the adapters below stay one line each. [`BackendFactory`] makes one
//! backend per connection and is told when the server shuts down;
//! [`Database`] is the real factory.

use crate::cancel::CancelFlag;
use crate::error::Result;
use crate::sql::session::{
    ColumnDesc, Database, ExecuteOutcome, Format, ResultSink, Session, StartupParams,
    StatementDescription, TxnStatus,
};

/// One connection's SQL session, as the wire layer drives it. Every method
/// has the meaning of the [`Session`] method of the same name.
pub trait Backend {
    /// ParameterStatus values to send after authentication.
    fn parameter_statuses(&self) -> Vec<(String, String)>;
    /// The flag a CancelRequest for this session sets.
    fn cancel_flag(&self) -> CancelFlag;
    /// Runs a simple-protocol query string; results go to `sink`.
    fn simple_query(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<()>;
    /// Parse.
    fn parse(&mut self, name: &str, sql: &str, param_oids: &[u32]) -> Result<()>;
    /// Bind.
    fn bind(
        &mut self,
        portal: &str,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<Vec<u8>>],
        result_formats: &[i16],
    ) -> Result<()>;
    /// Describe (statement).
    fn describe_statement(&mut self, name: &str) -> Result<StatementDescription>;
    /// Describe (portal): row shape and formats, or `None` for NoData.
    fn describe_portal(&mut self, name: &str) -> Result<Option<(Vec<ColumnDesc>, Vec<Format>)>>;
    /// Execute, sending at most `max_rows` rows (0 = all).
    fn execute(
        &mut self,
        portal: &str,
        max_rows: u64,
        sink: &mut dyn ResultSink,
    ) -> Result<ExecuteOutcome>;
    /// Close (statement).
    fn close_statement(&mut self, name: &str);
    /// Close (portal).
    fn close_portal(&mut self, name: &str);
    /// Sync.
    fn sync(&mut self) -> Result<()>;
    /// Transaction status for ReadyForQuery.
    fn txn_status(&self) -> TxnStatus;
    /// The connection is closing: roll back any open transaction.
    fn terminate(&mut self);
}

/// Makes a [`Backend`] per connection; shared by every connection thread.
pub trait BackendFactory: Send + Sync + 'static {
    /// The backend type.
    type B: Backend;
    /// A backend for an authenticated client (fails e.g. with 3D000).
    fn connect(&self, startup: &StartupParams) -> Result<Self::B>;
    /// The server is stopping and every connection is closed: make
    /// everything durable (the database checkpoints).
    fn shutdown(&self) -> Result<()>;
}

impl Backend for Session {
    fn parameter_statuses(&self) -> Vec<(String, String)> {
        Session::parameter_statuses(self)
    }
    fn cancel_flag(&self) -> CancelFlag {
        Session::cancel_flag(self)
    }
    fn simple_query(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<()> {
        Session::simple_query(self, sql, sink)
    }
    fn parse(&mut self, name: &str, sql: &str, param_oids: &[u32]) -> Result<()> {
        Session::parse(self, name, sql, param_oids)
    }
    fn bind(
        &mut self,
        portal: &str,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<Vec<u8>>],
        result_formats: &[i16],
    ) -> Result<()> {
        Session::bind(
            self,
            portal,
            statement,
            param_formats,
            params,
            result_formats,
        )
    }
    fn describe_statement(&mut self, name: &str) -> Result<StatementDescription> {
        Session::describe_statement(self, name)
    }
    fn describe_portal(&mut self, name: &str) -> Result<Option<(Vec<ColumnDesc>, Vec<Format>)>> {
        Session::describe_portal(self, name)
    }
    fn execute(
        &mut self,
        portal: &str,
        max_rows: u64,
        sink: &mut dyn ResultSink,
    ) -> Result<ExecuteOutcome> {
        Session::execute(self, portal, max_rows, sink)
    }
    fn close_statement(&mut self, name: &str) {
        Session::close_statement(self, name)
    }
    fn close_portal(&mut self, name: &str) {
        Session::close_portal(self, name)
    }
    fn sync(&mut self) -> Result<()> {
        Session::sync(self)
    }
    fn txn_status(&self) -> TxnStatus {
        Session::txn_status(self)
    }
    fn terminate(&mut self) {
        Session::terminate(self)
    }
}

impl BackendFactory for Database {
    type B = Session;

    fn connect(&self, startup: &StartupParams) -> Result<Session> {
        Session::new(self, startup)
    }

    fn shutdown(&self) -> Result<()> {
        Database::shutdown(self)
    }
}

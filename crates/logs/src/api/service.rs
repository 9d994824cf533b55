//! Carrying out a decoded Logs request against the store.

use crate::api::{Empty, LogsError, Request, Response};
use crate::store::LogStore;

impl LogStore {
    /// Answers a Logs request for the account and region the server stands for.
    ///
    /// May read stream files (for streams whose events are not in memory): call it where
    /// blocking is allowed.
    pub fn serve(&self, region: &str, account: &str, req: Request) -> Result<Response, LogsError> {
        Ok(match req {
            Request::DescribeLogGroups(r) => {
                Response::DescribeLogGroups(self.describe_groups(region, account, &r))
            }
            Request::DescribeLogStreams(r) => {
                Response::DescribeLogStreams(self.describe_streams(region, account, &r)?)
            }
            Request::GetLogEvents(r) => Response::GetLogEvents(self.get_events(&r)?),
            Request::FilterLogEvents(r) => Response::FilterLogEvents(self.filter_events(&r)?),
            Request::PutRetentionPolicy(r) => {
                self.retention(&r.group, Some(r.days))?;
                Response::Empty(Empty {})
            }
            Request::DeleteRetentionPolicy(r) => {
                self.retention(&r.group, None)?;
                Response::Empty(Empty {})
            }
            Request::DeleteLogGroup(r) => {
                if !self.delete_group(&r.group) {
                    return Err(LogsError::GroupNotFound(r.group));
                }
                Response::Empty(Empty {})
            }
        })
    }

    fn retention(&self, group: &str, days: Option<u32>) -> Result<(), LogsError> {
        if self.set_retention(group, days) {
            Ok(())
        } else {
            Err(LogsError::GroupNotFound(group.to_owned()))
        }
    }
}

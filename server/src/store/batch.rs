//! The server's group commit: appends are queued to one writer task, which
//! writes whatever has queued meanwhile in one statement
//! (`ledger_write_batch`, migrate.sql), so one transaction and one WAL
//! flush serve many commands.
//!
//! Why: Message DB's `write_message` takes an advisory lock on the stream's
//! category until the transaction ends, and a tenant is one category, so
//! one tenant's appends are one queue however many connections write, and
//! each commit waits for its flush to disk with the lock held. Committing
//! a batch at a time keeps the queue, and shares each flush.
//!
//! Each append in a batch is still all or nothing at its expected version
//! (a subtransaction of its own); a conflict fails that append only. A
//! request waits for its batch's commit: a 200 is still on disk.

use deadpool_postgres::Pool;
use ledger_core::{AccountId, StoreError, Version};
use tokio::sync::{mpsc, oneshot};

/// Messages written in one batch, at most.
const MAX_MESSAGES: usize = 1000;
/// Appends waiting, at most, before a caller waits to queue.
const QUEUE: usize = 4096;
const WRITE_BATCH: &str = "SELECT message_store.ledger_write_batch($1, $2, $3, $4, $5, $6, $7)";

/// One message, ready for `write_message`.
#[derive(Debug)]
pub struct Message {
    pub id: String,
    pub kind: &'static str,
    pub data: String,
    pub metadata: String,
    /// The stream's last position before it: -1 for none.
    pub expected_position: i64,
}

/// One append: every message of it, into one stream.
#[derive(Debug)]
struct Job {
    stream: String,
    account: AccountId,
    expected: Version,
    messages: Vec<Message>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The queue to the writer task.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

fn unavailable(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable { reason: reason.to_string() }
}

impl Writer {
    /// Starts the writer task on the current tokio runtime; it ends when
    /// every `Writer` is dropped.
    pub fn start(pool: Pool) -> Writer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write(pool, queue));
        Writer { jobs }
    }

    /// Appends `messages` to `stream` in the next batch; answers once it is
    /// committed (or refused).
    pub async fn append(
        &self,
        stream: String,
        account: &AccountId,
        expected: Version,
        messages: Vec<Message>,
    ) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        let job = Job { stream, account: account.clone(), expected, messages, done };
        self.jobs.send(job).await.map_err(|_| unavailable("the writer has stopped"))?;
        // The writer answers every job it took; a dropped sender means it
        // failed mid-batch, so whether the append was written is unknown.
        answer.await.map_err(|_| unavailable("the writer stopped during the append"))?
    }
}

async fn write(pool: Pool, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut size = first.messages.len();
        let mut batch = vec![first];
        while size < MAX_MESSAGES {
            match queue.try_recv() {
                Ok(job) => {
                    size += job.messages.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        match write_batch(&pool, &batch).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes.into_iter().chain(std::iter::repeat(None))) {
                    let answer = match outcome {
                        None => Ok(()),
                        Some(text) => Err(refusal(&job, &text)),
                    };
                    let _ = job.done.send(answer);
                }
            }
            Err(error) => {
                for job in batch {
                    let _ = job.done.send(Err(error.clone()));
                }
            }
        }
    }
}

/// What an append refused by `ledger_write_batch` gets.
fn refusal(job: &Job, outcome: &str) -> StoreError {
    match outcome.strip_prefix("conflict ").and_then(|position| position.trim().parse::<i64>().ok()) {
        Some(position) => StoreError::Conflict {
            stream: job.account.clone(),
            expected: job.expected,
            actual: Version::new(u64::try_from(position.saturating_add(1)).unwrap_or(0)),
        },
        None => unavailable(format!("writing to {}: {outcome}", job.stream)),
    }
}

/// Writes a batch in one statement; per job, `None` if written, or why not.
async fn write_batch(pool: &Pool, batch: &[Job]) -> Result<Vec<Option<String>>, StoreError> {
    let total: usize = batch.iter().map(|job| job.messages.len()).sum();
    let mut appends: Vec<i32> = Vec::with_capacity(total);
    let (mut ids, mut streams, mut kinds) = (Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total));
    let (mut data, mut metadata, mut expected) =
        (Vec::with_capacity(total), Vec::with_capacity(total), Vec::with_capacity(total));
    for (at, job) in batch.iter().enumerate() {
        let number = i32::try_from(at + 1).map_err(unavailable)?;
        for message in &job.messages {
            appends.push(number);
            ids.push(message.id.as_str());
            streams.push(job.stream.as_str());
            kinds.push(message.kind);
            data.push(message.data.as_str());
            metadata.push(message.metadata.as_str());
            expected.push(message.expected_position);
        }
    }
    let client = pool.get().await.map_err(unavailable)?;
    let statement = client.prepare_cached(WRITE_BATCH).await.map_err(unavailable)?;
    let row = client
        .query_one(&statement, &[&appends, &ids, &streams, &kinds, &data, &metadata, &expected])
        .await
        .map_err(unavailable)?;
    row.try_get::<_, Vec<Option<String>>>(0).map_err(unavailable)
}

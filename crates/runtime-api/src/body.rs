//! Reading a request body with a cap: never buffers more than the limit, and keeps a
//! single-frame body as the frame itself (no copy).

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;
use hyper::body::Body;

/// A body read to its end.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// All data frames, concatenated.
    pub(crate) data: Bytes,
    /// Trailers, when the body was chunked and sent some.
    pub(crate) trailers: Option<HeaderMap>,
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Longer than the limit (announced or counted).
    #[error("body exceeds {0} bytes")]
    TooLarge(usize),
    /// The connection failed before the body's end.
    #[error("body truncated: {0}")]
    Truncated(Box<dyn std::error::Error + Send + Sync>),
}

/// Reads `body` to its end, failing as soon as it exceeds `limit` bytes.
pub(crate) async fn read_capped<B>(mut body: B, limit: usize) -> Result<Collected, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let hint = body.size_hint();
    if hint.lower() > limit as u64 {
        return Err(BodyError::TooLarge(limit));
    }
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut len = 0usize;
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Truncated(e.into()))?;
        let data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => {
                if let Ok(t) = frame.into_trailers() {
                    trailers = Some(t);
                }
                continue;
            }
        };
        len += data.len();
        if len > limit {
            return Err(BodyError::TooLarge(limit));
        }
        if let Some(buf) = joined.as_mut() {
            buf.extend_from_slice(&data);
        } else if let Some(head) = first.take() {
            // usize::MAX hint means unknown: size for what we have, grow as needed.
            let expect = usize::try_from(hint.lower()).unwrap_or(limit).min(limit);
            let mut buf = BytesMut::with_capacity(expect.max(len));
            buf.extend_from_slice(&head);
            buf.extend_from_slice(&data);
            joined = Some(buf);
        } else if !data.is_empty() {
            first = Some(data);
        }
    }
    let data = match (joined, first) {
        (Some(buf), _) => buf.freeze(),
        (None, Some(data)) => data,
        (None, None) => Bytes::new(),
    };
    Ok(Collected { data, trailers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use hyper::body::{Frame, SizeHint};
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A chunked body of unknown length: data frames, then optional trailers.
    struct Frames(Vec<Frame<Bytes>>);

    impl Frames {
        fn new(parts: &[&'static [u8]], trailers: Option<HeaderMap>) -> Self {
            let mut frames: Vec<_> = parts
                .iter()
                .map(|p| Frame::data(Bytes::from_static(p)))
                .collect();
            frames.extend(trailers.map(Frame::trailers));
            frames.reverse();
            Frames(frames)
        }
    }

    impl Body for Frames {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop().map(Ok))
        }
        fn size_hint(&self) -> SizeHint {
            SizeHint::default()
        }
    }

    #[tokio::test]
    async fn single_frame_is_not_copied() {
        let data = Bytes::from_static(b"hello");
        let got = read_capped(Full::new(data.clone()), 5).await.unwrap();
        assert_eq!(got.data.as_ptr(), data.as_ptr());
        assert!(got.trailers.is_none());
    }

    #[tokio::test]
    async fn announced_length_over_limit_is_refused_unread() {
        let err = read_capped(Full::new(Bytes::from_static(b"123456")), 5)
            .await
            .unwrap_err();
        assert!(matches!(err, BodyError::TooLarge(5)));
    }

    #[tokio::test]
    async fn chunks_are_joined_and_counted() {
        let mut t = HeaderMap::new();
        t.insert(
            crate::headers::ERROR_TYPE,
            http::HeaderValue::from_static("Runtime.StreamError"),
        );
        let got = read_capped(Frames::new(&[b"ab", b"", b"cd", b"e"], Some(t)), 5)
            .await
            .unwrap();
        assert_eq!(got.data, "abcde");
        assert_eq!(
            got.trailers.unwrap()[crate::headers::ERROR_TYPE],
            "Runtime.StreamError"
        );
        let err = read_capped(Frames::new(&[b"abc", b"def"], None), 5)
            .await
            .unwrap_err();
        assert!(matches!(err, BodyError::TooLarge(5)));
    }

    #[tokio::test]
    async fn empty_body() {
        let got = read_capped(Frames::new(&[], None), 5).await.unwrap();
        assert!(got.data.is_empty());
    }
}

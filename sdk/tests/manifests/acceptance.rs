async fn _placeholder() { let _ = crate::shared().await; }

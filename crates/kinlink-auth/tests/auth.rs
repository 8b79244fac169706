//! Passwords, TOTP, API tokens, sessions, CSRF and the throttle. All accounts synthetic.

use chrono::{DateTime, Duration, Utc};
use kinlink_auth::password::{HashParams, Password, PasswordHasher, PasswordPolicy, PasswordRejected};
use kinlink_auth::session::{CsrfKey, SessionHash, SessionPolicy, new_session};
use kinlink_auth::throttle::{Throttle, ThrottlePolicy};
use kinlink_auth::token::{self, TokenScope};
use kinlink_auth::totp::{TotpError, TotpSecret};
use kinlink_policy::{Action, Resource};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_760_000_000, 0).unwrap()
}

#[test]
fn passwords_hash_with_argon2id_and_verify() {
    let hasher = PasswordHasher::new(HashParams::RECOMMENDED);
    let password = Password::new("violet river stapler 1987");
    let stored = hasher.hash(&password).unwrap();
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    assert!(!stored.contains("violet"));
    assert!(hasher.verify(&stored, &password).unwrap());
    assert!(
        !hasher
            .verify(&stored, &Password::new("violet river stapler 1988"))
            .unwrap()
    );
    assert_ne!(hasher.hash(&password).unwrap(), stored, "a fresh salt each time");
    assert!(!hasher.needs_rehash(&stored));
    let stronger = PasswordHasher::new(HashParams {
        iterations: 3,
        ..HashParams::RECOMMENDED
    });
    assert!(stronger.needs_rehash(&stored));
    assert!(
        stronger.verify(&stored, &password).unwrap(),
        "old hashes still verify"
    );
    assert!(hasher.verify("$2b$12$not-argon", &password).is_err());
    assert_eq!(format!("{password:?}"), "Password(..)");
}

#[test]
fn passwords_are_compared_after_unicode_normalisation() {
    let hasher = PasswordHasher::new(HashParams::RECOMMENDED);
    let composed = Password::new("Ångström ferry lantern");
    let decomposed = Password::new("A\u{30a}ngstro\u{308}m ferry lantern");
    let stored = hasher.hash(&composed).unwrap();
    assert!(hasher.verify(&stored, &decomposed).unwrap());
}

#[test]
fn the_password_policy_refuses_short_common_and_personal_passwords() {
    let policy = PasswordPolicy::default();
    let check = |p: &str, inputs: &[&str]| policy.check(&Password::new(p), inputs);
    assert_eq!(
        check("Sh0rt!pass", &[]),
        Err(PasswordRejected::TooShort { min: 12 })
    );
    assert_eq!(
        check(&"x".repeat(300), &[]),
        Err(PasswordRejected::TooLong { max: 256 })
    );
    assert_eq!(check("password1234", &[]), Err(PasswordRejected::TooGuessable));
    assert_eq!(check("qwerty12345678", &[]), Err(PasswordRejected::TooGuessable));
    let user = ["nadia.osmani", "Nadia", "Osmani"];
    assert_eq!(
        check("Nadia-Osmani-1", &user),
        Err(PasswordRejected::ContainsUserInfo)
    );
    assert_eq!(
        check("blue osmani kettle", &user),
        Err(PasswordRejected::ContainsUserInfo)
    );
    assert_eq!(check("violet river stapler 1987", &["nadia", "osmani"]), Ok(()));
}

/// RFC 6238 appendix B (SHA-1), last six digits; the secret is the ASCII "12345678901234567890".
#[test]
fn totp_codes_match_the_rfc_6238_vectors() {
    let secret = TotpSecret::from_bytes(*b"12345678901234567890");
    for (time, code) in [
        (59u64, 287082u32),
        (1_111_111_109, 81804),
        (1_111_111_111, 50471),
        (1_234_567_890, 5924),
        (2_000_000_000, 279037),
        (20_000_000_000, 353130),
    ] {
        assert_eq!(secret.code_at_step(time / 30), code, "t={time}");
    }
}

fn code(secret: &TotpSecret, step: u64) -> String {
    format!("{:06}", secret.code_at_step(step))
}

#[test]
fn totp_accepts_one_step_either_side_and_never_the_same_step_twice() {
    let secret = TotpSecret::generate().unwrap();
    let now = 1_760_000_015u64;
    let step = now / 30;
    assert_eq!(secret.verify(&code(&secret, step), now, None), Ok(step));
    assert_eq!(secret.verify(&code(&secret, step - 1), now, None), Ok(step - 1));
    assert_eq!(secret.verify(&code(&secret, step + 1), now, None), Ok(step + 1));
    assert_eq!(
        secret.verify(&code(&secret, step - 2), now, None),
        Err(TotpError::Wrong)
    );
    assert_eq!(
        secret.verify(&code(&secret, step + 2), now, None),
        Err(TotpError::Wrong)
    );
    // Replay: the step just used, or an earlier one, is refused.
    assert_eq!(
        secret.verify(&code(&secret, step), now, Some(step)),
        Err(TotpError::Replayed)
    );
    assert_eq!(
        secret.verify(&code(&secret, step - 1), now, Some(step)),
        Err(TotpError::Replayed)
    );
    assert_eq!(
        secret.verify(&code(&secret, step + 1), now + 30, Some(step)),
        Ok(step + 1)
    );
    for bad in ["", "12345", "1234567", "12a456"] {
        assert_eq!(secret.verify(bad, now, None), Err(TotpError::Malformed), "{bad}");
    }
}

#[test]
fn totp_enrolment_uri_carries_the_secret_in_base32() {
    let secret = TotpSecret::from_bytes(*b"12345678901234567890");
    assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    let uri = secret.provisioning_uri("kinlink Ministry", "caseworker.7");
    assert!(
        uri.starts_with(
            "otpauth://totp/kinlink%20Ministry:caseworker%2E7?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        ),
        "{uri}"
    );
    assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
}

#[test]
fn api_tokens_are_shown_once_stored_hashed_and_scoped() {
    let read_cases: TokenScope = "child_case:read".parse().unwrap();
    let issued = token::issue(vec![read_cases]).unwrap();
    let plaintext = issued.plaintext.as_str().to_owned();
    assert!(plaintext.starts_with(&format!("klt_{}_", issued.stored.prefix)));
    // klt_ + 12 hex + _ : the secret is the rest (base64url may itself contain '_').
    let secret_part = &plaintext[17..];
    let stored_json = serde_json::to_string(&issued.stored).unwrap();
    assert!(!stored_json.contains(secret_part) && !format!("{issued:?}").contains(secret_part));
    let presented = token::parse(&plaintext).unwrap();
    assert!(issued.stored.matches(&presented));
    assert!(issued.stored.allows(Resource::ChildCase, Action::Read));
    assert!(!issued.stored.allows(Resource::ChildCase, Action::Update));
    // Another token with the same prefix but another secret does not match.
    let other = token::issue(vec![]).unwrap();
    let forged = format!("klt_{}_{}", issued.stored.prefix, &other.plaintext[17..]);
    assert!(!issued.stored.matches(&token::parse(&forged).unwrap()));
    for bad in [
        "",
        "klt_",
        "Bearer x",
        "klt_zzzzzzzzzzzz_abc",
        &plaintext[..plaintext.len() - 1],
    ] {
        assert!(token::parse(bad).is_err(), "{bad}");
    }
    assert!("child_case".parse::<TokenScope>().is_err() && "cases:read".parse::<TokenScope>().is_err());
    assert_eq!(
        serde_json::to_string(&read_cases).unwrap(),
        r#""child_case:read""#
    );
}

#[test]
fn sessions_are_random_stored_hashed_and_expire() {
    let a = new_session().unwrap();
    let b = new_session().unwrap();
    assert_ne!(a.cookie_value.as_str(), b.cookie_value.as_str());
    assert_eq!(a.cookie_value.len(), 43, "256 bits in unpadded base64url");
    assert_eq!(SessionHash::of(&a.cookie_value), a.hash);
    assert!(!a.hash.0.contains(a.cookie_value.as_str()));
    let policy = SessionPolicy::default();
    let created = t0();
    assert!(policy.is_valid(created, created, created + Duration::minutes(29)));
    assert!(!policy.is_valid(created, created, created + Duration::minutes(30)));
    let busy = created + Duration::hours(12) - Duration::minutes(1);
    assert!(policy.is_valid(created, busy, busy + Duration::seconds(30)));
    assert!(!policy.is_valid(created, busy, created + Duration::hours(12)));
    assert!(!policy.is_valid(created, created, created - Duration::seconds(1)));
}

#[test]
fn csrf_tokens_are_bound_to_their_session() {
    let key = CsrfKey::from_bytes([3; 32]);
    let a = new_session().unwrap();
    let b = new_session().unwrap();
    let token_a = key.token(&a.hash);
    assert!(key.verify(&a.hash, &token_a));
    assert!(!key.verify(&b.hash, &token_a), "another session's token");
    assert!(!key.verify(&a.hash, ""));
    assert!(!key.verify(&a.hash, &token_a[..token_a.len() - 1]));
    assert!(
        !CsrfKey::from_bytes([4; 32]).verify(&a.hash, &token_a),
        "another server key"
    );
}

#[test]
fn repeated_failures_lock_an_account_with_growing_backoff() {
    let policy = ThrottlePolicy::default();
    let mut throttle: Throttle<String, &str> = Throttle::new(policy);
    let account = "caseworker.7".to_owned();
    let mut now = t0();
    for _ in 0..4 {
        assert!(throttle.check(&account, &"10.0.0.1", now).is_ok());
        assert_eq!(
            throttle.record_failure(&account, &"10.0.0.1", now).account_locked,
            None
        );
        now += Duration::seconds(5);
    }
    let until = throttle
        .record_failure(&account, &"10.0.0.1", now)
        .account_locked
        .unwrap();
    assert_eq!(until, now + Duration::minutes(1));
    // Locked from any source, since it is the account that is locked.
    assert_eq!(
        throttle
            .check(&account, &"10.9.9.9", now + Duration::seconds(59))
            .unwrap_err()
            .until,
        until
    );
    assert!(
        throttle
            .check(&"someone.else".to_owned(), &"10.9.9.9", now)
            .is_ok()
    );
    // The next lockout lasts twice as long, and so on up to the maximum.
    let mut expected = Duration::minutes(1);
    now = until;
    for _ in 0..8 {
        assert!(throttle.check(&account, &"10.0.0.1", now).is_ok());
        let mut locked = None;
        for _ in 0..5 {
            locked = throttle.record_failure(&account, &"10.0.0.1", now).account_locked;
        }
        expected = (expected * 2).min(policy.max_lockout);
        assert_eq!(locked, Some(now + expected));
        now += expected;
    }
    // A success clears the account's record: the next lockout is short again.
    throttle.record_success(&account);
    for _ in 0..5 {
        throttle.record_failure(&account, &"10.0.0.2", now);
    }
    assert_eq!(
        throttle.check(&account, &"10.0.0.2", now).unwrap_err().until,
        now + Duration::minutes(1)
    );
}

#[test]
fn failures_spread_over_time_do_not_lock() {
    let policy = ThrottlePolicy::default();
    let mut throttle: Throttle<&str, &str> = Throttle::new(policy);
    let mut now = t0();
    for _ in 0..20 {
        assert!(
            throttle
                .record_failure(&"guardian.3", &"10.0.0.1", now)
                .account_locked
                .is_none()
        );
        now += Duration::minutes(4);
    }
    assert!(throttle.check(&"guardian.3", &"10.0.0.1", now).is_ok());
}

#[test]
fn one_source_trying_many_accounts_is_locked() {
    let mut throttle: Throttle<String, &str> = Throttle::new(ThrottlePolicy::default());
    let now = t0();
    let mut source_locked = None;
    for i in 0..20 {
        let outcome = throttle.record_failure(&format!("user.{i}"), &"203.0.113.9", now);
        assert_eq!(outcome.account_locked, None);
        source_locked = outcome.source_locked;
    }
    let until = source_locked.expect("the 20th failure from one source locks it");
    assert_eq!(
        throttle
            .check(&"user.99".to_owned(), &"203.0.113.9", now)
            .unwrap_err()
            .until,
        until
    );
    assert!(
        throttle
            .check(&"user.99".to_owned(), &"198.51.100.1", now)
            .is_ok()
    );
    throttle.prune(now + Duration::hours(3));
    assert_eq!(throttle.tracked(), (0, 0));
}

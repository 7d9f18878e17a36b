//! `omni normalize`: what raw values become, and why they are rejected.

use crate::{CliTest, assert_code, stdout};

#[test]
fn phones_in_every_spreadsheet_shape_agree() {
    let t = CliTest::new();
    let output = t.run(&[
        "normalize",
        "--kind",
        "phone",
        "--country",
        "RU",
        "8 916 123-45-67",
        "+7 (916) 1234567",
        "7.9161234567E10",
        "79161234567.0",
        "8 (495) 123-45-67",
        "12",
        "0000000000",
        "n/a",
    ]);
    assert_code(&output, 0);
    insta::assert_snapshot!("normalize_phones_ru", stdout(&output));
}

#[test]
fn emails_fold_provider_aliases() {
    let t = CliTest::new();
    let output = t.run(&[
        "normalize",
        "--kind",
        "email",
        "John.Smith+promo@GoogleMail.com",
        " Ivanov@Mail.RU ",
        "Иван <ivan@почта.рф>",
        "ivan.petrov@ya.ru",
        "test@test.com",
        "not an email",
    ]);
    assert_code(&output, 0);
    insta::assert_snapshot!("normalize_emails", stdout(&output));
}

#[test]
fn cards_drop_separators_prefixes_and_leading_zeros() {
    let t = CliTest::new();
    let output = t.run(&[
        "normalize",
        "--kind",
        "card",
        "0048 2133 77",
        "LC-48213377",
        "48213377.0",
        "№ 4821-3377",
        "AB",
    ]);
    assert_code(&output, 0);
    insta::assert_snapshot!("normalize_cards", stdout(&output));
}

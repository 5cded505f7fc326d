//! Issue 23, point 3: the identifier changed (`jp.paydesk.app` → `jp.paydesk.desk`), and it
//! names the data folder and the keychain namespace. A desk kept under the previous one
//! moves on its first start: database with its WAL and SHM, logs, every keychain entry
//! (a long value's parts too); nothing left behind, nothing lost. A move that fails
//! midway leaves the previous desk whole, runs from it and says so; a later start moves it.
//! Real files and the test session's real keychain; each test has its own identifiers.

use std::path::{Path, PathBuf};

use api::dto::SettingsInput;
use api::identity::{Place, move_from_previous};
use api::{Build, Desk, DeskConfig, keychain_namespace};
use secrets::{Keychain, SecretKey, Sensitive};

use crate::harness::{folder_state, shop_secrets};

struct OldDesk {
    previous: Place,
    current: Place,
    build: Build,
    secrets: Vec<(SecretKey, String)>,
}

impl OldDesk {
    fn keychain(&self, place: &Place) -> Keychain {
        Keychain::new(keychain_namespace(&place.identifier, self.build, false))
    }

    /// A desk under `previous`, as a crash left it: the database with its WAL and SHM
    /// (the shop's settings live only in the WAL), two log files, and one secret of each
    /// kind in the previous namespace.
    async fn set_up(root: &Path, tag: &str, build: Build, current_dir: PathBuf) -> OldDesk {
        let previous = Place {
            identifier: format!("jp.paydesk.it-{tag}.app"),
            data_dir: root.join(format!("jp.paydesk.it-{tag}.app")),
        };
        let current = Place {
            identifier: format!("jp.paydesk.it-{tag}.desk"),
            data_dir: current_dir,
        };
        let staging = root.join("staging");
        let desk = Desk::open(DeskConfig::new(
            &previous.identifier,
            "0.0.0",
            build,
            staging.clone(),
        ))
        .await
        .unwrap();
        desk.save_settings(SettingsInput {
            shop_name: Some(format!("移る店 {tag}")),
            ..SettingsInput::default()
        })
        .await
        .unwrap();
        // Copied while the desk has the database open: what a crash leaves behind.
        std::fs::create_dir_all(previous.data_dir.join("logs")).unwrap();
        for file in [
            "paydesk.sqlite3",
            "paydesk.sqlite3-wal",
            "paydesk.sqlite3-shm",
        ] {
            std::fs::copy(staging.join(file), previous.data_dir.join(file)).unwrap();
        }
        drop(desk);
        std::fs::remove_dir_all(&staging).unwrap();
        let wal = std::fs::metadata(previous.data_dir.join("paydesk.sqlite3-wal")).unwrap();
        assert!(wal.len() > 0, "the settings are in the WAL");
        std::fs::write(previous.data_dir.join("logs/paydesk.log"), "today\n").unwrap();
        std::fs::write(previous.data_dir.join("logs/paydesk.1.log"), "before\n").unwrap();
        let old = OldDesk {
            previous,
            current,
            build,
            secrets: shop_secrets(tag),
        };
        let keychain = old.keychain(&old.previous);
        for (key, value) in &old.secrets {
            keychain
                .store(*key, &Sensitive::new(value.clone()))
                .unwrap();
        }
        old
    }

    fn assert_secrets_in(&self, place: &Place) {
        let keychain = self.keychain(place);
        for (key, value) in &self.secrets {
            let read = keychain.read(*key).unwrap();
            assert_eq!(
                read.as_ref().map(|v| v.expose().as_str()),
                Some(value.as_str()),
                "{} in {}",
                key.account(),
                keychain.namespace()
            );
        }
    }

    async fn assert_desk_at(&self, place: &Place, tag: &str) {
        let desk = Desk::open(DeskConfig::new(
            &place.identifier,
            "0.0.0",
            self.build,
            place.data_dir.clone(),
        ))
        .await
        .unwrap();
        let settings = desk.get_settings().await.unwrap();
        assert_eq!(settings.shop_name, Some(format!("移る店 {tag}")));
    }

    /// The new folder's files, less the marker that says the move is done.
    fn moved_files(&self) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
        let mut files = folder_state(&self.current.data_dir);
        let marker = format!(".moved-from-{}", self.keychain(&self.previous).namespace());
        assert!(
            files.remove(Path::new(&marker)).is_some(),
            "the move is marked done: {:?}",
            files.keys()
        );
        files
    }

    fn clean_up(&self) {
        for place in [&self.previous, &self.current] {
            for key in SecretKey::ALL {
                let _ = self.keychain(place).purge(key);
            }
        }
    }
}

#[tokio::test]
async fn a_desk_under_the_previous_identifier_moves_with_everything_on_its_first_start() {
    crate::harness::init_logs();
    // Release, dev and test builds each move their own namespace.
    for (build, tag) in [
        (Build::Release, "move-release"),
        (Build::Dev, "move-dev"),
        (Build::Test, "move-test"),
    ] {
        let root = tempfile::tempdir().unwrap();
        let current_dir = root.path().join(format!("jp.paydesk.it-{tag}.desk"));
        let old = OldDesk::set_up(root.path(), tag, build, current_dir).await;
        let before = folder_state(&old.previous.data_dir);

        let moved = move_from_previous(build, &old.previous, &old.current);
        assert_eq!(moved.place, old.current);
        assert!(moved.notice.is_none(), "{moved:?}");
        assert!(!moved.report.as_ref().unwrap().failed, "{moved:?}");

        assert!(!old.previous.data_dir.exists(), "the old folder is gone");
        assert!(
            old.moved_files() == before,
            "database, WAL, SHM and logs arrive as they were"
        );
        let previous_keychain = old.keychain(&old.previous);
        assert_eq!(previous_keychain.stored_keys().unwrap(), vec![]);
        old.assert_secrets_in(&old.current);
        old.assert_desk_at(&old.current, tag).await;

        // The next start finds nothing more to move.
        let again = move_from_previous(build, &old.previous, &old.current);
        assert_eq!(again.place, old.current);
        assert!(
            again.notice.is_none() && again.report.is_none(),
            "{again:?}"
        );
        old.clean_up();
    }
}

#[tokio::test]
async fn a_move_that_fails_midway_leaves_the_previous_desk_whole_and_a_later_start_moves_it() {
    crate::harness::init_logs();
    let root = tempfile::tempdir().unwrap();
    // The new folder cannot be made: its parent is a file. The secrets are copied by then.
    let blocker = root.path().join("blocker");
    std::fs::write(&blocker, "in the way").unwrap();
    let tag = "move-fails";
    let old = OldDesk::set_up(
        root.path(),
        tag,
        Build::Release,
        blocker.join("jp.paydesk.it-move-fails.desk"),
    )
    .await;
    let before = folder_state(&old.previous.data_dir);

    let moved = move_from_previous(Build::Release, &old.previous, &old.current);
    assert_eq!(
        moved.place, old.previous,
        "the desk runs from the previous place"
    );
    let notice = moved.notice.clone().expect("the shop owner is told");
    assert!(notice.ja.contains("移せませんでした"), "{notice:?}");
    assert!(notice.en.contains("could not move"), "{notice:?}");
    let report = moved.report.clone().unwrap();
    assert!(
        report.failed && report.message.contains("blocker"),
        "{report:?}"
    );

    assert!(
        folder_state(&old.previous.data_dir) == before,
        "the old folder is whole"
    );
    old.assert_secrets_in(&old.previous);
    assert_eq!(
        old.keychain(&old.current).stored_keys().unwrap(),
        vec![],
        "no copy is left under the new name"
    );
    old.assert_desk_at(&old.previous, tag).await;
    // The notice reaches the screen through the app's info.
    let mut config = DeskConfig::new(
        &moved.place.identifier,
        "0.0.0",
        Build::Release,
        moved.place.data_dir.clone(),
    );
    config.notice = moved.notice.clone();
    let desk = Desk::open(config).await.unwrap();
    assert_eq!(desk.app_info().notice, Some(notice));
    drop(desk);
    let before = folder_state(&old.previous.data_dir);

    // Later the way is clear: the next start moves everything.
    std::fs::remove_file(&blocker).unwrap();
    let moved = move_from_previous(Build::Release, &old.previous, &old.current);
    assert_eq!(moved.place, old.current);
    assert!(moved.notice.is_none(), "{moved:?}");
    assert!(!old.previous.data_dir.exists());
    assert!(old.moved_files() == before);
    assert_eq!(old.keychain(&old.previous).stored_keys().unwrap(), vec![]);
    old.assert_secrets_in(&old.current);
    old.assert_desk_at(&old.current, tag).await;
    old.clean_up();
}

/// With the folder fixed by `PAYDESK_DATA_DIR` (or already moved), only the secrets move;
/// one the new name already holds is the one in use and stays.
#[tokio::test]
async fn secrets_left_under_the_previous_name_move_and_the_newer_ones_stay() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let previous = Place {
        identifier: "jp.paydesk.it-leftover.app".into(),
        data_dir: dir.clone(),
    };
    let current = Place {
        identifier: "jp.paydesk.it-leftover.desk".into(),
        data_dir: dir,
    };
    let old = Keychain::new(keychain_namespace(&previous.identifier, Build::Test, false));
    let new = Keychain::new(keychain_namespace(&current.identifier, Build::Test, false));
    let secrets = shop_secrets("leftover");
    for (key, value) in &secrets {
        old.store(*key, &Sensitive::new(value.clone())).unwrap();
    }
    new.store(SecretKey::HashKey, &"changed since".into())
        .unwrap();

    let moved = move_from_previous(Build::Test, &previous, &current);
    assert_eq!(moved.place, current);
    assert!(moved.notice.is_none(), "{moved:?}");
    assert_eq!(old.stored_keys().unwrap(), vec![]);
    for (key, value) in &secrets {
        let expected = if *key == SecretKey::HashKey {
            "changed since"
        } else {
            value.as_str()
        };
        assert_eq!(new.read(*key).unwrap().unwrap().expose(), expected);
    }
    for key in SecretKey::ALL {
        let _ = new.purge(key);
    }
}

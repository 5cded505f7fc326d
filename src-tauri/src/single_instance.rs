//! A second launch hands over to the running PayDesk (tauri-plugin-single-instance: on
//! Linux, the D-Bus name `<identifier>.SingleInstance`). A PayDesk that has just ended
//! (it crashed, was killed, or the shop restarts it) still owns that name until the bus
//! has seen its connection close, which under load takes a moment. A launch in that
//! moment found the name taken, forwarded its arguments to an owner that never answered,
//! and failed to start ("failed to forward arguments to the running instance": found by
//! the end-to-end tests, which start PayDesk right after ending one). So before the
//! plugin looks, wait until an owner that does not answer is gone; a running PayDesk
//! answers at once and the hand-over goes ahead as before.

/// The name the plugin owns for this identifier (its `semver` feature is off).
#[cfg(target_os = "linux")]
fn bus_name(identifier: &str) -> String {
    format!("{identifier}.SingleInstance")
}

/// Waits (at most a few seconds) while `<identifier>.SingleInstance` is owned by a
/// connection that does not answer a ping: a PayDesk that has ended but whose end the bus
/// has not processed yet. Returns at once when nobody owns the name, when its owner
/// answers, or when there is no session bus.
#[cfg(target_os = "linux")]
pub fn wait_for_an_ended_instance(identifier: &str) {
    use std::time::{Duration, Instant};

    // How long a bus may take to notice a connection that closed; beyond it, the owner is
    // hung rather than ended, and the plugin's hand-over decides.
    const PATIENCE: Duration = Duration::from_secs(5);
    // One ping's wait: a running PayDesk answers from zbus's own thread in milliseconds.
    const PING: Duration = Duration::from_millis(500);

    let name = bus_name(identifier);
    let Ok(connection) = zbus::blocking::connection::Builder::session()
        .map(|b| b.method_timeout(PING))
        .and_then(|b| b.build())
    else {
        return;
    };
    let Ok(bus) = zbus::blocking::fdo::DBusProxy::new(&connection) else {
        return;
    };
    let Ok(wanted) = zbus::names::BusName::try_from(name.as_str()) else {
        return;
    };
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if !bus.name_has_owner(wanted.clone()).unwrap_or(false) {
            return;
        }
        let ping = connection.call_method(
            Some(name.as_str()),
            "/",
            Some("org.freedesktop.DBus.Peer"),
            "Ping",
            &(),
        );
        if answered(&ping) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::warn!("a PayDesk that does not answer still owns the single-instance name");
}

/// Whether the owner itself replied: with its pong or with an error of its own (an
/// unknown object is still an answer). No reply in time, or the bus answering for an
/// owner that has gone, is not.
#[cfg(target_os = "linux")]
fn answered(ping: &zbus::Result<zbus::message::Message>) -> bool {
    match ping {
        Ok(_) => true,
        Err(zbus::Error::MethodError(name, _, _)) => !matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.NoReply"
                | "org.freedesktop.DBus.Error.ServiceUnknown"
                | "org.freedesktop.DBus.Error.NameHasNoOwner"
                | "org.freedesktop.DBus.Error.Timeout"
        ),
        Err(_) => false,
    }
}

/// Windows and macOS: the OS frees the plugin's lock with the process that held it.
#[cfg(not(target_os = "linux"))]
pub fn wait_for_an_ended_instance(_identifier: &str) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::process::{Child, Command};
    use std::time::{Duration, Instant};

    use super::*;

    const HOLDER: &str = "PAYDESK_TEST_HOLD_NAME";

    /// Not a test of its own: run by [`holder`] in a child process, it owns the name
    /// given in `PAYDESK_TEST_HOLD_NAME` (as a running PayDesk does) until killed.
    #[test]
    fn hold_a_name_when_asked() {
        let Ok(name) = std::env::var(HOLDER) else {
            return;
        };
        // Serving an object, as the plugin does: that is what answers pings.
        let _connection = zbus::blocking::connection::Builder::session()
            .and_then(|b| b.name(name.as_str()))
            .and_then(|b| b.serve_at("/", zbus::fdo::ObjectManager))
            .and_then(|b| b.build())
            .expect("a session bus (run the tests with `cargo xtask test`)");
        loop {
            std::thread::park();
        }
    }

    /// A child process owning `name`, ended when dropped (also when a test fails).
    struct Holder(Child);

    impl Drop for Holder {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A child process owning `name`, once the bus says it does.
    fn holder(name: &str) -> Holder {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "single_instance::tests::hold_a_name_when_asked"])
            .env(HOLDER, name)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !owned(name) {
            assert!(Instant::now() < deadline, "the holder never owned {name}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Holder(child)
    }

    fn owned(name: &str) -> bool {
        let connection = zbus::blocking::Connection::session().unwrap();
        let bus = zbus::blocking::fdo::DBusProxy::new(&connection).unwrap();
        bus.name_has_owner(zbus::names::BusName::try_from(name).unwrap())
            .unwrap()
    }

    fn signal(holder: &Holder, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &holder.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn identifier(test: &str) -> String {
        format!("jp.paydesk.test.p{}.{test}", std::process::id())
    }

    #[test]
    fn a_launch_while_the_last_paydesk_is_ending_waits_until_it_is_gone() {
        let identifier = identifier("ending");
        let name = bus_name(&identifier);
        let ended = holder(&name);
        // Stopped, it owns the name and answers nothing: a PayDesk whose end the bus has
        // not seen yet. It ends (killed) a moment after the new launch starts looking.
        signal(&ended, "-STOP");
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(800));
            signal(&ended, "-KILL");
            drop(ended);
        });
        wait_for_an_ended_instance(&identifier);
        assert!(
            !owned(&name),
            "the launch went on while an ended PayDesk still owned the name"
        );
        killer.join().unwrap();
    }

    #[test]
    fn a_running_paydesk_answers_and_the_hand_over_goes_ahead() {
        let identifier = identifier("running");
        let name = bus_name(&identifier);
        let _running = holder(&name);
        let started = Instant::now();
        wait_for_an_ended_instance(&identifier);
        let waited = started.elapsed();
        assert!(owned(&name), "the running one still owns the name");
        assert!(
            waited < Duration::from_secs(5),
            "a running PayDesk answered, yet the launch waited {waited:?}"
        );
    }

    #[test]
    fn nobody_owning_the_name_is_no_reason_to_wait() {
        let identifier = identifier("free");
        assert!(!owned(&bus_name(&identifier)));
        wait_for_an_ended_instance(&identifier);
    }
}

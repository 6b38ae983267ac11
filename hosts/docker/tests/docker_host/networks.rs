//! Networks, aliases, published ports and clean-up by label.

use crate::common::*;
use seamless_host_api::{ContainerHost, NetworkAttachment, NetworkSpec, PortBinding};
use std::time::Duration;

/// A busybox web server on port 8000 that serves `text` at `/`.
fn web(run: &str, text: &str) -> seamless_host_api::ContainerSpec {
    let script = format!(
        "mkdir -p /srv && echo '{text}' > /srv/index.html && exec httpd -f -p 8000 -h /srv"
    );
    spec(run, &["sh", "-c", &script])
}

#[tokio::test]
async fn containers_on_a_network_reach_each_other_by_alias() {
    let run = unique("net-dns");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let name = format!("seamless-test-{run}");
    let network = host
        .create_network(NetworkSpec {
            name: name.clone(),
            labels: run_labels(&run),
        })
        .await
        .unwrap();
    assert_eq!(network.name, name);
    let again = host
        .create_network(NetworkSpec {
            name: name.clone(),
            labels: run_labels(&run),
        })
        .await
        .unwrap();
    assert_eq!(
        again, network,
        "creating an existing name returns that network"
    );

    let mut server = web(&run, "hello over the network");
    server.network = Some(NetworkAttachment {
        network: name.clone(),
        aliases: vec!["db".to_string()],
    });
    let (sink, _) = collector();
    let server = host.run(server, sink).await.unwrap();
    let state = host.inspect(&server).await.unwrap();
    assert!(state.running);
    assert!(state.addresses.contains_key(&name), "{:?}", state.addresses);
    assert!(
        !state.addresses.contains_key("bridge"),
        "only the named network is joined"
    );

    let mut client = spec(
        &run,
        &[
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://db:8000/ && exit 0; sleep 0.3; done; exit 1",
        ],
    );
    client.network = Some(NetworkAttachment {
        network: name.clone(),
        aliases: vec![],
    });
    let (sink, lines) = collector();
    let client = host.run(client, sink).await.unwrap();
    assert_eq!(host.wait(&client).await.unwrap(), 0, "{:?}", lines);
    assert_eq!(
        on(&lines, seamless_host_api::LogStream::Stdout),
        vec!["hello over the network"]
    );

    // A container started elsewhere joins later under an alias of its own.
    let (sink, _) = collector();
    let late = host.run(web(&run, "late"), sink).await.unwrap();
    host.connect_network(&name, &late, &["cache".to_string()])
        .await
        .unwrap();
    let mut asker = spec(&run, &["wget", "-qO-", "http://cache:8000/"]);
    asker.network = Some(NetworkAttachment {
        network: name.clone(),
        aliases: vec![],
    });
    let (sink, lines) = collector();
    let asker = host.run(asker, sink).await.unwrap();
    assert_eq!(host.wait(&asker).await.unwrap(), 0);
    assert_eq!(
        on(&lines, seamless_host_api::LogStream::Stdout),
        vec!["late"]
    );

    host.disconnect_network(&name, &late).await.unwrap();
    let state = host.inspect(&late).await.unwrap();
    assert!(!state.addresses.contains_key(&name));
    host.disconnect_network(&name, &late)
        .await
        .expect("disconnecting what is not connected is fine");

    // Removing a network with a container still on it disconnects that container.
    host.remove_network(&name).await.unwrap();
    assert!(!network_exists(&name).await);
    host.remove_network(&name)
        .await
        .expect("removing a network that is gone is fine");
    host.stop(&server).await.unwrap();
    host.stop(&late).await.unwrap();
}

#[tokio::test]
async fn published_ports_answer_on_the_host() {
    let run = unique("ports");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let fixed = reserved_port();
    let mut server = web(&run, "published");
    server.ports = vec![
        PortBinding {
            container_port: 8000,
            host_ip: "127.0.0.1".to_string(),
            host_port: None,
        },
        PortBinding {
            container_port: 8000,
            host_ip: "127.0.0.1".to_string(),
            host_port: Some(fixed),
        },
    ];
    let (sink, _) = collector();
    let server = host.run(server, sink).await.unwrap();
    let state = host.inspect(&server).await.unwrap();
    let ports: Vec<u16> = state
        .published
        .iter()
        .filter(|(port, ip, _)| *port == 8000 && ip == "127.0.0.1")
        .map(|(_, _, host_port)| *host_port)
        .collect();
    assert_eq!(ports.len(), 2, "{:?}", state.published);
    assert!(ports.contains(&fixed));
    for port in ports {
        let answered = eventually(Duration::from_secs(10), || async move {
            matches!(http_get(port, "/").await, Ok((200, body)) if body.trim() == "published")
        })
        .await;
        assert!(answered, "port {port} does not serve the page");
    }
    host.stop(&server).await.unwrap();
}

#[tokio::test]
async fn remove_labelled_removes_networks_after_their_containers() {
    let run = unique("rm-net");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let name = format!("seamless-test-{run}");
    host.create_network(NetworkSpec {
        name: name.clone(),
        labels: run_labels(&run),
    })
    .await
    .unwrap();
    let mut sleeper = spec(&run, &["sleep", "60"]);
    sleeper.network = Some(NetworkAttachment {
        network: name.clone(),
        aliases: vec!["sleeper".to_string()],
    });
    let (sink, _) = collector();
    host.run(sleeper, sink).await.unwrap();

    let listed = host.list_labelled(&run_labels(&run)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].running);
    assert_eq!(
        listed[0].labels.get(seamless_host_api::LABEL_RUN),
        Some(&run)
    );

    assert_eq!(host.remove_labelled(&run_labels(&run)).await.unwrap(), 2);
    assert!(containers_of(&run).await.is_empty());
    assert!(!network_exists(&name).await);
}

#[tokio::test]
async fn invalid_network_names_are_refused() {
    let host = host().await;
    let err = host
        .create_network(NetworkSpec {
            name: "has space".to_string(),
            labels: Default::default(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, seamless_host_api::HostError::Invalid(_)),
        "{err}"
    );
}

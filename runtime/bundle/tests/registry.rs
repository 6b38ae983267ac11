//! Bundles in a real OCI registry (Debian's `docker-registry`, started by
//! scripts/test-env.sh on `$SEAMLESS_TEST_REGISTRY`): push, pull by tag and by digest,
//! a moved tag, tags and the catalog, and refusals of what is not a good bundle.

#![allow(clippy::unwrap_used, missing_docs)]

use seamless_bundle::manifest::SUPPORTED_WIT;
use seamless_bundle::registry::{Registry, RegistryError, parse_reference};
use seamless_bundle::{Bundle, BundleError, BundleManifest, Capabilities, Limits};

use seamless_test_support::registry::plain as registry;

fn bundle(version: &str, marker: u8) -> Bundle {
    let manifest = BundleManifest {
        name: "lint-yaml".into(),
        version: version.into(),
        wit: SUPPORTED_WIT.into(),
        stages: vec!["code-quality".into()],
        description: "Lints YAML files for the registry test".into(),
        license: "Apache-2.0".into(),
        capabilities: Capabilities {
            containers: true,
            ..Capabilities::default()
        },
        limits: Limits::default(),
    };
    let mut component = b"\0asm\x0d\0\x01\0".to_vec();
    component.extend_from_slice(&[marker; 64]);
    Bundle::new(manifest, component).unwrap()
}

fn unique_repo() -> String {
    format!(
        "seamless-test/{}",
        seamless_test_support::unique("lint-yaml")
    )
}

#[tokio::test]
async fn a_bundle_is_pushed_pulled_by_tag_and_digest_and_a_moved_tag_is_seen() {
    let host = registry();
    let repo = unique_repo();
    let tag_ref = parse_reference(&format!("{host}/{repo}:1.0.0")).unwrap();
    let client = Registry::for_registry(&host).await.unwrap();
    let first = bundle("1.0.0", 1);
    let digest = client.push(&first, &tag_ref).await.unwrap();
    assert_eq!(digest, first.digest());
    assert_eq!(client.pull(&tag_ref).await.unwrap(), first);
    assert_eq!(client.resolve(&tag_ref).await.unwrap(), digest);
    let by_digest = parse_reference(&format!("{host}/{repo}@{digest}")).unwrap();
    assert_eq!(client.pull(&by_digest).await.unwrap(), first);

    // The same tag moved to another bundle: its digest changes; the old one stays.
    let second = bundle("1.0.1", 2);
    client.push(&second, &tag_ref).await.unwrap();
    assert_eq!(client.resolve(&tag_ref).await.unwrap(), second.digest());
    assert_eq!(client.pull(&by_digest).await.unwrap(), first);

    let tags = client.tags(&tag_ref).await.unwrap();
    assert_eq!(tags, ["1.0.0"]);
    let repos = client.repositories(&tag_ref).await.unwrap();
    assert!(repos.contains(&repo), "{repos:?}");
}

#[tokio::test]
async fn what_is_not_a_good_bundle_is_refused() {
    let host = registry();
    let repo = unique_repo();
    let client = Registry::for_registry(&host).await.unwrap();
    let missing = parse_reference(&format!("{host}/{repo}:nothing")).unwrap();
    let err = client.pull(&missing).await.unwrap_err();
    assert!(matches!(err, RegistryError::Registry { .. }), "{err}");

    // A digest reference whose manifest is another one's.
    let b = bundle("1.0.0", 3);
    let tag_ref = parse_reference(&format!("{host}/{repo}:1.0.0")).unwrap();
    client.push(&b, &tag_ref).await.unwrap();
    let other = bundle("9.9.9", 4).digest();
    let wrong = parse_reference(&format!("{host}/{repo}@{other}")).unwrap();
    assert!(client.pull(&wrong).await.is_err());

    // A manifest without the plugin manifest layer.
    let mut doc: serde_json::Value = serde_json::from_slice(&b.oci_manifest).unwrap();
    doc["layers"].as_array_mut().unwrap().pop();
    let mut broken = b.clone();
    broken.oci_manifest = serde_json::to_vec(&doc).unwrap();
    let broken_ref = parse_reference(&format!("{host}/{repo}:broken")).unwrap();
    client.push(&broken, &broken_ref).await.unwrap();
    match client.pull(&broken_ref).await.unwrap_err() {
        RegistryError::Bundle {
            source: BundleError::Missing(what),
            ..
        } => {
            assert!(what.contains("manifest layer"), "{what}");
        }
        other => panic!("{other}"),
    }
}

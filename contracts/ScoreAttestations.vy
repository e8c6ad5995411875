# pragma version ~=0.4.3
"""
@title BlockScore score attestations
@notice Stores sha256 digests of credit scores, each once, with the block that recorded
        it. Only the owner (the deployer, or whom it hands ownership to) may write. A
        digest is a hash of a pseudonymous customer id, a score, a model version and a
        time: nothing personal is ever sent here (see docs/credit.md).
"""

event Attested:
    digest: indexed(bytes32)
    block_number: uint256
    timestamp: uint256

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

struct Attestation:
    block_number: uint256
    timestamp: uint256

owner: public(address)
attestations: public(HashMap[bytes32, Attestation])
count: public(uint256)


@deploy
def __init__():
    self.owner = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)


@external
def attest(digest: bytes32):
    assert msg.sender == self.owner, "not the owner"
    assert digest != empty(bytes32), "empty digest"
    assert self.attestations[digest].block_number == 0, "already attested"
    self.attestations[digest] = Attestation(block_number=block.number, timestamp=block.timestamp)
    self.count += 1
    log Attested(digest=digest, block_number=block.number, timestamp=block.timestamp)


@external
def transfer_ownership(new_owner: address):
    assert msg.sender == self.owner, "not the owner"
    assert new_owner != empty(address), "empty owner"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner

#!/usr/bin/env escript
%%! -noshell
%% Verifies and decodes a registry file (gzip(Signed(...))) hexpub wrote, with
%% the hex_core that rebar3 bundles (r3_hex_registry), the way r3_hex_repo does:
%% gunzip, decode_and_verify_signed with the public key, then decode with the
%% expected repository name (the origin check). Prints one Erlang term.
%%
%% usage: registry_decode.escript names|versions|package FILE PUBLIC_KEY_FILE REPO PACKAGE REBAR3_ESCRIPT
main([Kind, Path, KeyPath, Repo, Package, Rebar3]) ->
    {ok, Compressed} = file:read_file(Path),
    {ok, PublicKey} = file:read_file(KeyPath),
    load_rebar3_hex_core(Rebar3),
    Result = try
        Signed = zlib:gunzip(Compressed),
        case r3_hex_registry:decode_and_verify_signed(Signed, PublicKey) of
            {ok, Payload} -> normalize(decode(Kind, Payload, list_to_binary(Repo), list_to_binary(Package)));
            Other -> Other
        end
    catch Class:Reason -> {error, {Class, Reason}}
    end,
    io:setopts([{encoding, unicode}]),
    io:format("~tp.~n", [Result]).

decode("names", Payload, Repo, _) -> r3_hex_registry:decode_names(Payload, Repo);
decode("versions", Payload, Repo, _) -> r3_hex_registry:decode_versions(Payload, Repo);
decode("package", Payload, Repo, Package) -> r3_hex_registry:decode_package(Payload, Repo, Package).

%% Checksums become hex text so that the printed term stays readable.
normalize({ok, Items}) -> {ok, [normalize_item(I) || I <- Items]};
normalize(Other) -> Other.

normalize_item(#{} = M) ->
    maps:map(fun(K, V) when K =:= inner_checksum; K =:= outer_checksum -> binary:encode_hex(V);
                (_, V) -> V end, M).

load_rebar3_hex_core(Rebar3) ->
    {ok, Sections} = escript:extract(Rebar3, []),
    {archive, Zip} = lists:keyfind(archive, 1, Sections),
    {ok, Files} = zip:extract(Zip, [memory]),
    [begin
         Mod = list_to_atom(filename:basename(Name, ".beam")),
         {module, Mod} = code:load_binary(Mod, Name, Beam)
     end || {Name, Beam} <- Files,
            lists:prefix("rebar/ebin/r3_hex", Name) orelse lists:prefix("rebar/ebin/r3_safe", Name)],
    ok.
